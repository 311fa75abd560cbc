import { startEventSink, startTestSandbox, type EventSink, type TestSandbox } from "./testing";

let t: TestSandbox;
let sink: EventSink;

beforeAll(async () => {
  sink = await startEventSink();
  t = await startTestSandbox({ eventHandlerUrl: sink.url });
});
afterAll(async () => {
  await t.stop();
  await sink.close();
});
beforeEach(async () => {
  await t.admin("POST", "/reset");
  sink.received.length = 0;
});

describe("injected method faults", () => {
  it("errorRate=1 answers 500 INTERNAL_SERVER_ERROR before any write (no record, no event)", async () => {
    await t.admin("PUT", "/faults", { methods: { "crm.deal.add": { errorRate: 1 } } });
    const r = await t.call("crm.deal.add", { fields: { TITLE: "never" } });
    expect(r.status).toBe(500);
    expect(r.body.error).toBe("INTERNAL_SERVER_ERROR");
    expect((await t.admin("GET", "/records/deal")).body).toEqual([]);
    await t.admin("POST", "/events/drain");
    expect(sink.received).toHaveLength(0);
    // Other methods are unaffected.
    expect((await t.call("crm.company.add", { fields: { TITLE: "ok" } })).status).toBe(200);
    expect((await t.admin("GET", "/stats")).body.injectedFaults.error).toBe(1);
  });

  it("rateLimitRate gives 503 QUERY_LIMIT_EXCEEDED, operationLimitRate gives 429 OPERATION_TIME_LIMIT", async () => {
    await t.admin("PUT", "/faults", {
      methods: { "crm.deal.list": { rateLimitRate: 1 }, "crm.deal.get": { operationLimitRate: 1 } },
    });
    const limited = await t.call("crm.deal.list", {});
    expect(limited).toEqual({ status: 503, body: { error: "QUERY_LIMIT_EXCEEDED", error_description: "Too many requests" } });
    const op = await t.call("crm.deal.get", { id: 1 });
    expect(op.status).toBe(429);
    expect(op.body.error).toBe("OPERATION_TIME_LIMIT");
  });

  it("timeoutRate hangs for timeoutMs and then destroys the socket", async () => {
    await t.admin("PUT", "/faults", { "*": { timeoutRate: 1, timeoutMs: 300 } });
    const started = Date.now();
    await expect(t.call("crm.deal.add", { fields: { TITLE: "hang" } })).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await t.admin("DELETE", "/faults");
    expect((await t.admin("GET", "/records/deal")).body).toEqual([]);
    const log = (await t.admin("GET", "/requests")).body as Array<{ status: unknown }>;
    expect(log.at(-1)?.status).toBe("socket-destroyed");
  });

  it("latencyMs delays the answer; '*' applies to every method and a method entry overrides it", async () => {
    await t.admin("PUT", "/faults", { "*": { latencyMs: 150 }, methods: { "crm.deal.list": { latencyMs: 0 } } });
    let started = Date.now();
    expect((await t.call("crm.company.list", {})).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    started = Date.now();
    await t.call("crm.deal.list", {});
    expect(Date.now() - started).toBeLessThan(140);
  });

  it("faults apply inside a batch as per-command errors", async () => {
    await t.admin("PUT", "/faults", { methods: { "crm.deal.get": { errorRate: 1 } } });
    const r = await t.call("batch", { cmd: { a: "crm.deal.add?fields[TITLE]=x", b: "crm.deal.get?id=$result[a]" } });
    expect(r.status).toBe(200);
    expect((r.body.result as { result_error: unknown }).result_error).toEqual({
      b: { error: "INTERNAL_SERVER_ERROR", error_description: "Internal server error" },
    });
  });

  it("a seeded partial error rate is reproducible", async () => {
    const run = async (): Promise<number[]> => {
      await t.admin("PUT", "/faults", { seed: 99, methods: { "crm.deal.list": { errorRate: 0.5 } } });
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push((await t.call("crm.deal.list", {})).status);
      return statuses;
    };
    const a = await run();
    expect(await run()).toEqual(a);
    expect(a).toContain(500);
    expect(a).toContain(200);
  });

  it("rejects an invalid fault config with 400 and DELETE clears faults", async () => {
    const bad = await t.admin("PUT", "/faults", { methods: { "crm.deal.get": { errorRate: 2 } } });
    expect(bad.status).toBe(400);
    await t.admin("PUT", "/faults", { methods: { "crm.deal.list": { errorRate: 1 } } });
    expect((await t.call("crm.deal.list", {})).status).toBe(500);
    await t.admin("DELETE", "/faults");
    expect((await t.call("crm.deal.list", {})).status).toBe(200);
  });
});
