import { createHash } from "node:crypto";
import { startEventSink, startTestSandbox, sleep, type EventSink, type TestSandbox } from "./testing";

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
});

interface OfflineEvent {
  ID: string;
  TIMESTAMP_X: string;
  EVENT_NAME: string;
  EVENT_DATA: { FIELDS: { ID: number } };
  MESSAGE_ID: string;
}
interface OfflineResult {
  process_id: string | null;
  events: OfflineEvent[];
}

const offlineGet = async (params: Record<string, unknown> = {}): Promise<OfflineResult> => {
  const r = await t.call("event.offline.get", params);
  expect(r.status).toBe(200);
  return r.body.result as OfflineResult;
};
const addDeal = async (title: string, extra: Record<string, unknown> = {}): Promise<number> =>
  (await t.call("crm.deal.add", { fields: { TITLE: title }, ...extra })).body.result as number;

/** Binds offline, then makes 3 changes to deal A and 1 to deal B (deal A's last change comes last). */
async function threeAndOne(): Promise<{ a: number; b: number }> {
  expect((await t.call("event.bind", { event: "ONCRMDEALUPDATE", event_type: "offline" })).body.result).toBe(true);
  const a = await addDeal("A");
  const b = await addDeal("B");
  await t.call("crm.deal.update", { id: a, fields: { TITLE: "A1" } });
  await t.call("crm.deal.update", { id: b, fields: { TITLE: "B1" } });
  await t.call("crm.deal.update", { id: a, fields: { TITLE: "A2" } });
  await t.call("crm.deal.productrows.set", { id: a, rows: [{ PRICE: 5, QUANTITY: 2 }] });
  return { a, b };
}

describe("offline events", () => {
  it("nothing is recorded without an offline binding", async () => {
    await addDeal("x");
    expect(await offlineGet()).toEqual({ process_id: null, events: [] });
  });

  it("coalesces: one record per object and event, latest change last; clear=1 (default) removes them", async () => {
    const { a, b } = await threeAndOne();
    const got = await offlineGet();
    expect(got.process_id).toBeNull();
    expect(got.events.map((e) => [e.EVENT_NAME, e.EVENT_DATA.FIELDS.ID])).toEqual([
      ["ONCRMDEALUPDATE", b],
      ["ONCRMDEALUPDATE", a],
    ]);
    const first = got.events[1] as OfflineEvent;
    expect(Object.keys(first)).toEqual(["ID", "TIMESTAMP_X", "EVENT_NAME", "EVENT_DATA", "EVENT_ADDITIONAL", "MESSAGE_ID"]);
    expect(first.ID).toBe("1"); // deal A's row kept its ID, it was merged, not re-inserted
    expect(first.TIMESTAMP_X).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+03:00$/);
    expect(first.MESSAGE_ID).toBe(createHash("md5").update(`ONCRMDEALUPDATE|{"FIELDS":{"ID":${a}}}`).digest("hex"));
    // ADD was not bound offline, so it was not recorded; online delivery went on as usual.
    await t.admin("POST", "/events/drain");
    expect(sink.received).toHaveLength(6);
    expect(await offlineGet()).toEqual({ process_id: null, events: [] });
  });

  it("clear=0 reserves records for a process; others do not see them; clear removes; error releases with ERROR=1", async () => {
    const { a, b } = await threeAndOne();
    const reserved = await offlineGet({ clear: 0, limit: 1 });
    expect(reserved.process_id).toMatch(/^[0-9a-z]{32}$/);
    expect(reserved.events.map((e) => e.EVENT_DATA.FIELDS.ID)).toEqual([b]);

    const second = await offlineGet({ clear: 0 });
    expect(second.process_id).not.toBe(reserved.process_id);
    expect(second.events.map((e) => e.EVENT_DATA.FIELDS.ID)).toEqual([a]);
    expect(await offlineGet({ clear: 0 })).toEqual({ process_id: expect.any(String), events: [] });

    // Re-reading with the process_id returns the same reserved rows.
    const again = await offlineGet({ clear: 0, process_id: reserved.process_id });
    expect(again).toEqual(reserved);

    // A change to deal B while its row is reserved makes a new, unreserved row.
    await t.call("crm.deal.update", { id: b, fields: { TITLE: "B2" } });
    const queue = (await t.admin("GET", "/offline")).body.records as Array<Record<string, unknown>>;
    expect(queue.map((r) => [r.ID, r.PROCESS_ID === "" ? "free" : r.PROCESS_ID])).toEqual([
      ["2", reserved.process_id],
      ["1", second.process_id],
      ["3", "free"],
    ]);

    // clear (all of the process's rows) …
    expect((await t.call("event.offline.clear", { process_id: reserved.process_id })).body.result).toBe(true);
    // … error: the second process's row goes back to the queue with ERROR=1 …
    const messageId = (second.events[0] as OfflineEvent).MESSAGE_ID;
    expect((await t.call("event.offline.error", { process_id: second.process_id, message_id: [messageId] })).body.result).toBe(true);
    const after = (await t.admin("GET", "/offline")).body.records as Array<Record<string, unknown>>;
    expect(after.map((r) => [r.ID, r.PROCESS_ID, r.ERROR])).toEqual([
      ["1", "", "1"],
      ["3", "", "0"],
    ]);
    // … and comes back only when asked for error records.
    expect((await offlineGet()).events.map((e) => e.ID)).toEqual(["3"]);
    const errors = await offlineGet({ error: 1 });
    expect(errors.events.map((e) => [e.ID, e.EVENT_DATA.FIELDS.ID])).toEqual([["1", a]]);
    expect((await t.admin("GET", "/offline")).body.records).toEqual([]);
  });

  it("clear by message_id or id deletes only those rows of the process", async () => {
    const { a } = await threeAndOne();
    const reserved = await offlineGet({ clear: 0 });
    const rowA = reserved.events.find((e) => e.EVENT_DATA.FIELDS.ID === a) as OfflineEvent;
    await t.call("event.offline.clear", { process_id: reserved.process_id, message_id: [rowA.MESSAGE_ID] });
    expect((await offlineGet({ clear: 0, process_id: reserved.process_id })).events).toHaveLength(1);
    await t.callForm("event.offline.clear", `process_id=${reserved.process_id}&id[]=2`);
    expect((await offlineGet({ clear: 0, process_id: reserved.process_id })).events).toHaveLength(0);
  });

  it("validates its arguments", async () => {
    expect((await t.call("event.offline.get", { limit: 0 })).body).toEqual({
      error: "ERROR_ARGUMENT",
      error_description: "Value must be positive integer",
    });
    expect((await t.call("event.offline.clear", {})).body).toEqual({
      error: "ERROR_ARGUMENT",
      error_description: "Argument 'PROCESS_ID' is null or empty",
    });
    expect((await t.call("event.offline.clear", { process_id: "p", message_id: ["short"] })).body.error).toBe("ERROR_ARGUMENT");
    expect((await t.call("event.offline.error", { process_id: "p" })).body.error).toBe("ERROR_ARGUMENT");
  });

  it("auth_connector: writes with the binding's connector are not queued in that connector's queue", async () => {
    await t.call("event.bind", { event: "ONCRMDEALUPDATE", event_type: "offline", auth_connector: "concord" });
    await t.call("event.bind", { event: "ONCRMDEALUPDATE", event_type: "offline" });
    const own = await addDeal("own");
    const foreign = await addDeal("foreign");
    await t.call("crm.deal.update", { id: own, fields: { TITLE: "by us" }, auth_connector: "concord" });
    await t.call("crm.deal.productrows.set", { id: own, rows: [], auth_connector: "concord" });
    await t.call("batch", { cmd: { u: `crm.deal.update?id=${own}&fields[TITLE]=batch&auth_connector=concord` } });
    await t.call("crm.deal.update", { id: foreign, fields: { TITLE: "by a user" } });

    // The connector's queue is read with the same auth_connector and holds only the foreign change.
    const mine = await offlineGet({ auth_connector: "concord" });
    expect(mine.events.map((e) => e.EVENT_DATA.FIELDS.ID)).toEqual([foreign]);
    // The queue without a source key records everything.
    const plain = await offlineGet();
    expect(plain.events.map((e) => e.EVENT_DATA.FIELDS.ID)).toEqual([own, foreign]);
    // Online events still fire for the connector's own writes.
    await t.admin("POST", "/events/drain");
    expect(sink.received.filter((e) => e.form.get("data[FIELDS][ID]") === String(own))).toHaveLength(4);
  });

  it("PUT /admin/event-handlers {url:null} loses online events while offline recording continues", async () => {
    await t.call("event.bind", { event: "ONCRMDEALADD", event_type: "offline" });
    await t.admin("PUT", "/event-handlers", { url: null });
    const id = await addDeal("lost online");
    await t.admin("POST", "/events/drain");
    await sleep(50);
    expect(sink.received).toHaveLength(0);
    expect((await t.admin("GET", "/events")).body.deliveries).toEqual([]);
    expect((await offlineGet()).events.map((e) => [e.EVENT_NAME, e.EVENT_DATA.FIELDS.ID])).toEqual([["ONCRMDEALADD", id]]);

    // Restoring the handler brings online delivery back, but the lost event is not resent.
    await t.admin("PUT", "/event-handlers", { url: sink.url });
    await addDeal("back online");
    await t.admin("POST", "/events/drain");
    expect(sink.received.map((e) => e.form.get("data[FIELDS][ID]"))).toEqual([String(id + 1)]);
  });

  it("event faults (dropRate=1) do not touch the offline queue; list shows PROCESS_ID and ERROR", async () => {
    await t.call("event.bind", { event: "ONCRMCONTACTADD", event_type: "offline" });
    await t.admin("PUT", "/faults", { events: { dropRate: 1 } });
    await t.call("crm.contact.add", { fields: { NAME: "x" } });
    await t.admin("POST", "/events/drain");
    expect(sink.received).toHaveLength(0);
    const list = await t.call("event.offline.list", {});
    expect(list.body.result).toEqual([expect.objectContaining({ ID: "1", EVENT_NAME: "ONCRMCONTACTADD", PROCESS_ID: "", ERROR: "0" })]);
    expect(list.body.total).toBe(1);
  });
});
