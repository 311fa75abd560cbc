import { startEventSink, startTestSandbox, type EventSink, type TestSandbox } from "./testing";

let t: TestSandbox;
let sink: EventSink;

beforeAll(async () => {
  sink = await startEventSink();
  t = await startTestSandbox({ eventHandlerUrl: sink.url, eventTimeoutMs: 500 });
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

const drain = async (): Promise<void> => {
  expect((await t.admin("POST", "/events/drain")).status).toBe(200);
};

describe("delete events", () => {
  it.each([
    ["deal", "ONCRMDEALDELETE", { TITLE: "d" }],
    ["company", "ONCRMCOMPANYDELETE", { TITLE: "c" }],
    ["contact", "ONCRMCONTACTDELETE", { NAME: "n" }],
    ["product", "ONCRMPRODUCTDELETE", { NAME: "p", PRICE: 10 }],
  ])("crm.%s.delete fires %s with only the id; the record then answers Not found", async (entity, event, fields) => {
    const id = (await t.call(`crm.${entity}.add`, { fields })).body.result as number;
    await drain();
    sink.received.length = 0;

    expect((await t.call(`crm.${entity}.delete`, { id })).body.result).toBe(true);
    await drain();
    expect(sink.received).toHaveLength(1);
    const form = sink.received[0]?.form as URLSearchParams;
    expect(form.get("event")).toBe(event);
    expect(form.get("data[FIELDS][ID]")).toBe(String(id));
    expect([...form.keys()].filter((k) => k.startsWith("data"))).toEqual(["data[FIELDS][ID]"]);

    for (const r of [await t.call(`crm.${entity}.get`, { id }), await t.call(`crm.${entity}.delete`, { id })]) {
      expect(r.status).toBe(400);
      expect(r.body).toEqual({ error: "", error_description: "Not found" });
    }
    expect((await t.admin("GET", `/records/${entity}/${id}`)).status).toBe(404);
    await drain();
    expect(sink.received).toHaveLength(1); // the failed second delete fires nothing
  });
});

describe("the recycle bin", () => {
  it("restores a deleted deal with its ID, rows and a new DATE_MODIFY, firing ONCRMDEALADD; only once", async () => {
    const id = (await t.call("crm.deal.add", { fields: { TITLE: "в корзину" } })).body.result as number;
    await t.call("crm.deal.productrows.set", { id, rows: [{ PRODUCT_ID: 0, PRODUCT_NAME: "Услуга", PRICE: 100, QUANTITY: 2 }] });
    await t.call("crm.deal.delete", { id });
    await drain();
    sink.received.length = 0;

    expect((await t.admin("POST", `/recyclebin/deal/${id}/restore`)).status).toBe(200);
    const deal = (await t.call("crm.deal.get", { id })).body.result as Record<string, unknown>;
    expect(deal).toMatchObject({ ID: String(id), TITLE: "в корзину", OPPORTUNITY: "200.00" });
    expect(((await t.call("crm.deal.productrows.get", { id })).body.result as unknown[]).length).toBe(1);
    await drain();
    expect(sink.received.map((e) => [e.form.get("event"), e.form.get("data[FIELDS][ID]")])).toEqual([["ONCRMDEALADD", String(id)]]);
    expect((await t.admin("POST", `/recyclebin/deal/${id}/restore`)).status).toBe(404);
  });
});

describe("product events", () => {
  it("crm.product.add/update/delete fire ONCRMPRODUCTADD/UPDATE/DELETE", async () => {
    const id = (await t.call("crm.product.add", { fields: { NAME: "Widget", PRICE: 99.5 } })).body.result as number;
    await t.call("crm.product.update", { id, fields: { PRICE: 100 } });
    await t.call("crm.product.delete", { id });
    await drain();
    expect(sink.received.map((e) => [e.form.get("event"), e.form.get("data[FIELDS][ID]")])).toEqual([
      ["ONCRMPRODUCTADD", String(id)],
      ["ONCRMPRODUCTUPDATE", String(id)],
      ["ONCRMPRODUCTDELETE", String(id)],
    ]);
  });
});

describe("online/REST event bindings", () => {
  it("event.bind (online) adds a handler; event.get lists online and offline bindings; event.unbind removes them", async () => {
    await t.admin("PUT", "/event-handlers", { url: null });
    expect((await t.call("event.bind", { event: "onCrmDealAdd", handler: sink.url })).body.result).toBe(true);
    const dup = await t.call("event.bind", { event: "ONCRMDEALADD", handler: sink.url });
    expect(dup.status).toBe(400);
    expect(dup.body.error).toBe("ERROR_CORE");
    expect((await t.call("event.bind", { event: "ONCRMDEALUPDATE", event_type: "offline", handler: "ignored" })).body.result).toBe(true);
    expect((await t.call("event.bind", { event: "ONCRMDEALADD" })).body).toEqual({
      error: "ERROR_ARGUMENT",
      error_description: "Argument 'HANDLER' is null or empty",
    });
    expect((await t.call("event.bind", { event: "ONNOSUCHEVENT", event_type: "offline" })).body.error).toBe("ERROR_EVENT_NOT_FOUND");

    expect((await t.call("event.get")).body.result).toEqual([
      { event: "ONCRMDEALADD", handler: sink.url, auth_type: "0", offline: 0 },
      { event: "ONCRMDEALUPDATE", connector_id: "", offline: 1 },
    ]);
    await t.call("crm.deal.add", { fields: { TITLE: "x" } });
    await drain();
    expect(sink.received.map((e) => e.form.get("event"))).toEqual(["ONCRMDEALADD"]);

    expect((await t.call("event.unbind", { event: "ONCRMDEALADD", handler: sink.url })).body.result).toEqual({ count: 1 });
    expect((await t.call("event.unbind", { event: "ONCRMDEALUPDATE", event_type: "offline" })).body.result).toEqual({ count: 1 });
    expect((await t.call("event.get")).body.result).toEqual([]);
  });
});
