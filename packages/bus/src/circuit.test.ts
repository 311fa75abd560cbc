import { admitCall, circuitAfterFailure, closedCircuit, type CircuitSettings } from "./circuit";

const settings: CircuitSettings = { windowMs: 10_000, distinctRecords: 3, probeMinMs: 1_000, probeMaxMs: 8_000 };
const fail = (code: string, record: string, retryAfterMs?: number) => ({ code, message: `${code} for ${record}`, record, retryAfterMs });

describe("circuitAfterFailure", () => {
  it("opens at once on a rate limit or a refused credential, with the target's Retry-After", () => {
    const open = circuitAfterFailure(closedCircuit(0), fail("B24_QUERY_LIMIT_EXCEEDED", "deal:1", 5_000), settings, 100);
    expect(open).toMatchObject({ status: "open", since: 100, lastCode: "B24_QUERY_LIMIT_EXCEEDED", probeAt: 5_100 });
    expect(circuitAfterFailure(closedCircuit(0), fail("ONEC_UNAUTHORIZED", "order:a"), settings, 0).status).toBe("open");
  });

  it("opens on 5xx or refused connections only from several distinct records within the window", () => {
    let s = closedCircuit(0);
    s = circuitAfterFailure(s, fail("ONEC_HTTP_503", "order:a"), settings, 0);
    s = circuitAfterFailure(s, fail("ONEC_HTTP_503", "order:a"), settings, 100); // the same record again
    s = circuitAfterFailure(s, fail("ONEC_NETWORK", "order:b"), settings, 200);
    expect(s.status).toBe("closed");
    s = circuitAfterFailure(s, fail("ONEC_NETWORK", "order:c"), settings, 300);
    expect(s).toMatchObject({ status: "open", since: 300, lastCode: "ONEC_NETWORK" });
  });

  it("forgets failures older than the window", () => {
    let s = closedCircuit(0);
    s = circuitAfterFailure(s, fail("B24_HTTP_502", "deal:1"), settings, 0);
    s = circuitAfterFailure(s, fail("B24_HTTP_502", "deal:2"), settings, 5_000);
    s = circuitAfterFailure(s, fail("B24_HTTP_502", "deal:3"), settings, 12_000);
    expect(s.status).toBe("closed");
  });

  it("doubles the wait before the next probe after each failed probe, up to the maximum", () => {
    let s = circuitAfterFailure(closedCircuit(0), fail("B24_UNAUTHORIZED", "deal:1"), settings, 0);
    const waits: number[] = [];
    for (let t = 1_000; t < 60_000; t += 10_000) {
      s = circuitAfterFailure(s, fail("B24_UNAUTHORIZED", "deal:1"), settings, t);
      waits.push(s.probeAt - t);
    }
    expect(waits).toEqual([2_000, 4_000, 8_000, 8_000, 8_000, 8_000]);
    expect(s.since).toBe(0);
  });
});

describe("admitCall", () => {
  it("admits every call while closed, none while open, and a probe once due", () => {
    expect(admitCall(closedCircuit(0), 5)).toEqual({ admit: true, probe: false });
    const open = circuitAfterFailure(closedCircuit(0), fail("B24_QUERY_LIMIT_EXCEEDED", "deal:1"), settings, 0);
    expect(admitCall(open, 500)).toEqual({ admit: false, waitMs: 500 });
    expect(admitCall(open, 1_000)).toEqual({ admit: true, probe: true });
  });
});

describe("targetCause", () => {
  it("finds the target's failure behind a record-scope error, and nothing behind others", async () => {
    const { retryable } = await import("@concord/contracts");
    const { targetCause } = await import("./circuit");
    const cause = retryable("ONEC_HTTP_503", "1c GET: HTTP 503");
    const inDoubt = retryable("CREATE_IN_DOUBT", "no known outcome", { cause });
    expect(targetCause(inDoubt, "onec")).toBe(cause);
    expect(targetCause(inDoubt, "bitrix24")).toBeNull();
    expect(targetCause(retryable("ONEC_LOCKED", "locked"), "onec")).toBeNull();
    expect(targetCause(retryable("CIRCUIT_OPEN", "open"), "onec")).toBeNull();
  });
});

describe("an outage approaching the streams' max_age", () => {
  it("is reported in the view and logged, once half the max_age has passed", async () => {
    const { createCircuit } = await import("./circuit");
    const { retryable } = await import("@concord/contracts");
    const store = new Map<string, { value: unknown; revision: number }>();
    const state = {
      getJson: async <T>(key: string) => (store.get(key) as { value: T; revision: number } | undefined) ?? null,
      putJson: async (key: string, value: unknown) => void store.set(key, { value, revision: (store.get(key)?.revision ?? 0) + 1 }),
      tryLease: async () => true,
      remove: async (key: string) => void store.delete(key),
      compareAndSet: async (key: string, value: unknown, revision: number | null) => {
        if ((store.get(key)?.revision ?? null) !== revision) return false;
        store.set(key, { value, revision: (revision ?? 0) + 1 });
        return true;
      },
    };
    const lines: string[] = [];
    const logger = { error: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), info: () => undefined, debug: () => undefined } as never;
    let clock = 0;
    const day = 24 * 3600_000;
    const circuit = createCircuit({ state, target: "onec", url: "http://1c.example/", owner: "a", logger, streamMaxAgeMs: 7 * day, now: () => clock, refreshMs: 0 });
    await circuit.recordFailure(retryable("ONEC_HTTP_503", "down"), "order:1");
    await circuit.recordFailure(retryable("ONEC_HTTP_503", "down"), "order:2");
    await circuit.recordFailure(retryable("ONEC_HTTP_503", "down"), "order:3");
    expect(lines).toEqual(["circuit opened: the flow to the target pauses"]);
    clock = 3 * day;
    expect(circuit.view().warning).toBeNull();
    clock = 3.6 * day;
    expect(circuit.view().warning).toMatch(/age out/);
    circuit.view();
    expect(lines.filter((l) => l.includes("max_age"))).toHaveLength(1);
  });
});
