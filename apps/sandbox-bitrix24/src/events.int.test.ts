import { startEventSink, startTestSandbox, sleep, type EventSink, type TestSandbox } from "./testing";

let t: TestSandbox;
let sink: EventSink;

beforeAll(async () => {
  sink = await startEventSink();
  t = await startTestSandbox({ eventHandlerUrl: sink.url, applicationToken: "app-token-under-test", eventTimeoutMs: 500 });
});
afterAll(async () => {
  await t.stop();
  await sink.close();
});
beforeEach(async () => {
  await t.admin("POST", "/reset");
  await t.admin("PUT", "/event-handlers", { url: sink.url });
  sink.received.length = 0;
  sink.status = 200;
});

const drain = async (): Promise<Array<Record<string, unknown>>> => {
  const r = await t.admin("POST", "/events/drain");
  expect(r.status).toBe(200);
  return r.body.deliveries as Array<Record<string, unknown>>;
};

describe("outbound events", () => {
  it("posts every REST write form-encoded, with only the ID and the application token", async () => {
    const id = (await t.call("crm.deal.add", { fields: { TITLE: "x", OPPORTUNITY: 10 } })).body.result as number;
    await t.call("crm.deal.update", { id, fields: { TITLE: "y" } });
    await t.call("crm.deal.productrows.set", { id, rows: [{ PRICE: 1, QUANTITY: 1 }] });
    await t.call("crm.deal.delete", { id });
    const company = (await t.call("crm.company.add", { fields: { TITLE: "Co" } })).body.result as number;
    await drain();

    expect(sink.received.map((e) => e.form.get("event"))).toEqual([
      "ONCRMDEALADD",
      "ONCRMDEALUPDATE",
      "ONCRMDEALUPDATE",
      "ONCRMDEALDELETE",
      "ONCRMCOMPANYADD",
    ]);
    const first = sink.received[0];
    expect(first?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    const form = first?.form as URLSearchParams;
    expect(form.get("data[FIELDS][ID]")).toBe(String(id));
    expect(form.get("auth[application_token]")).toBe("app-token-under-test");
    expect(form.get("auth[domain]")).toBe("sandbox.bitrix24.local");
    expect(form.get("auth[client_endpoint]")).toBe(`${t.sandbox.baseUrl()}/rest/`);
    expect(form.get("auth[member_id]")).toMatch(/^[0-9a-f]{32}$/);
    expect(Number(form.get("event_handler_id"))).toBeGreaterThan(0);
    expect(Math.abs(Number(form.get("ts")) - Date.now() / 1000)).toBeLessThan(60);
    // Only the ID travels, never field values.
    expect([...form.keys()].filter((k) => k.startsWith("data"))).toEqual(["data[FIELDS][ID]"]);
    expect(first?.raw).not.toContain("OPPORTUNITY");
    expect(sink.received[4]?.form.get("data[FIELDS][ID]")).toBe(String(company));

    const log = (await t.admin("GET", "/events")).body;
    expect(log.deliveries.every((d: { result: string }) => d.result === "delivered")).toBe(true);
    expect(log.handlers).toHaveLength(12);
  });

  it("a handler answering 500 loses the event: logged as failed, never resent", async () => {
    sink.status = 500;
    const id = (await t.call("crm.deal.add", { fields: { TITLE: "lost" } })).body.result;
    const deliveries = await drain();
    await sleep(700);
    expect(sink.received).toHaveLength(1);
    expect(deliveries).toEqual([expect.objectContaining({ event: "ONCRMDEALADD", entityId: id, result: "failed:500" })]);
    const stats = (await t.admin("GET", "/stats")).body;
    expect(stats.events).toMatchObject({ queued: 1, failed: 1, delivered: 0 });
  });

  it("a handler that is down loses the event too", async () => {
    await t.admin("PUT", "/event-handlers", { url: "http://127.0.0.1:9/unreachable" });
    await t.call("crm.contact.add", { fields: { NAME: "x" } });
    const deliveries = await drain();
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]?.result).toMatch(/^failed:/);
  });

  it("unbinding the handler stops events", async () => {
    await t.admin("PUT", "/event-handlers", { url: null });
    await t.call("crm.deal.add", { fields: { TITLE: "quiet" } });
    await drain();
    await sleep(50);
    expect(sink.received).toHaveLength(0);
  });

  it("dropRate=1 drops every event (logged as dropped-by-fault)", async () => {
    await t.admin("PUT", "/faults", { events: { dropRate: 1 } });
    await t.call("crm.deal.add", { fields: { TITLE: "a" } });
    await t.call("crm.deal.add", { fields: { TITLE: "b" } });
    const deliveries = await drain();
    expect(sink.received).toHaveLength(0);
    expect(deliveries.map((d) => d.result)).toEqual(["dropped-by-fault", "dropped-by-fault"]);
    expect((await t.admin("GET", "/stats")).body.injectedFaults.eventDropped).toBe(2);
  });

  it("duplicateRate=1 sends the same payload twice", async () => {
    await t.admin("PUT", "/faults", { events: { duplicateRate: 1 } });
    await t.call("crm.deal.add", { fields: { TITLE: "twice" } });
    const deliveries = await drain();
    expect(sink.received).toHaveLength(2);
    expect(sink.received[0]?.raw).toBe(sink.received[1]?.raw);
    expect(deliveries.map((d) => d.duplicate).sort()).toEqual([false, true]);
  });

  it("reorder shuffles events held in the window; delayMs delays delivery", async () => {
    await t.admin("PUT", "/faults", { seed: 7, events: { reorder: true, reorderWindowMs: 200, delayMs: 100 } });
    const started = Date.now();
    const ids: number[] = [];
    for (let i = 0; i < 8; i++) ids.push((await t.call("crm.deal.add", { fields: { TITLE: `r${i}` } })).body.result as number);
    await sleep(50);
    expect(sink.received).toHaveLength(0);
    await drain();
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    const order = sink.received.map((e) => Number(e.form.get("data[FIELDS][ID]")));
    expect([...order].sort((a, b) => a - b)).toEqual(ids);
    expect(order).not.toEqual(ids);
  });

  it("a seed makes partial drops reproducible", async () => {
    const run = async (): Promise<string[]> => {
      await t.admin("POST", "/reset");
      await t.admin("PUT", "/faults", { seed: 1234, events: { dropRate: 0.5 } });
      for (let i = 0; i < 12; i++) await t.call("crm.deal.add", { fields: { TITLE: `s${i}` } });
      // Which events are dropped is what the seed fixes; the log's order depends on network timing.
      return (await drain())
        .sort((x, y) => Number(x.entityId) - Number(y.entityId))
        .map((d) => `${String(d.entityId)}:${String(d.result)}`);
    };
    const a = await run();
    const b = await run();
    expect(a).toEqual(b);
    expect(a.some((r) => r.endsWith(":dropped-by-fault"))).toBe(true);
    expect(a.some((r) => r.endsWith(":delivered"))).toBe(true);
  });
});
