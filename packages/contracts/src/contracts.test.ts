import {
  Bitrix24EventPayloadSchema,
  ChangeEventSchema,
  OnecCommandSchema,
  OnecNotificationSchema,
  changeEventId,
  commandContentHash,
  commandId,
  crmCommandId,
  compareSourceVersions,
  contentHash,
  createSubjects,
  recheckEvent,
  toMoney,
  type ChangeEvent,
  type CrmDealSyncStatus,
  type OnecOrderUpsert,
} from "./index";

const event: ChangeEvent = {
  v: 1,
  type: "change",
  system: "bitrix24",
  entity: "deal",
  sourceId: "42",
  action: "upsert",
  sourceVersion: "ONCRMDEALUPDATE@1736405807",
  occurredAt: "2025-01-09T06:56:47.000Z",
  receivedAt: "2025-01-09T06:56:48.120Z",
  via: "webhook",
};

const order: OnecOrderUpsert = {
  v: 1,
  type: "onec.order.upsert",
  source: { system: "bitrix24", entity: "deal", id: "42" },
  sourceVersion: { modifiedAt: "2025-01-09T09:56:47+03:00", fetchedAt: "2025-01-09T06:56:49.000Z" },
  issuedAt: "2025-01-09T06:56:49.000Z",
  customer: { system: "bitrix24", entity: "company", id: "9" },
  order: { status: "НеСогласован", currency: "RUB", amount: "100.00", comment: "x" },
  lines: [{ lineNumber: 1, sku: "SKU-001", name: "A", quantity: 1, price: "100.00", sum: "100.00" }],
  contentHash: "abc",
};

describe("contracts", () => {
  it("round-trips messages through JSON unchanged", () => {
    expect(ChangeEventSchema.parse(JSON.parse(JSON.stringify(event)))).toEqual(event);
    expect(OnecCommandSchema.parse(JSON.parse(JSON.stringify(order)))).toEqual(order);
  });

  it.each([
    ["wrong version", { ...event, v: 2 }],
    ["unknown system", { ...event, system: "amocrm" }],
    ["empty id", { ...event, sourceId: "" }],
    ["instant without zone", { ...event, occurredAt: "2025-01-09T06:56:47" }],
  ])("rejects a change event with %s", (_name, bad) => {
    expect(ChangeEventSchema.safeParse(bad).success).toBe(false);
  });

  it("rejects commands with float money or no lines", () => {
    expect(OnecCommandSchema.safeParse({ ...order, order: { ...order.order, amount: "100.001" } }).success).toBe(false);
    expect(OnecCommandSchema.safeParse({ ...order, lines: [] }).success).toBe(false);
  });

  it("parses the Bitrix24 event as posted and the 1C notification, and rejects bad ones", () => {
    const payload = { event: "oncrmdealupdate", data: { FIELDS: { ID: "759" } }, ts: "1736405807", auth: { application_token: "t" } };
    expect(Bitrix24EventPayloadSchema.parse(payload).event).toBe("ONCRMDEALUPDATE");
    expect(Bitrix24EventPayloadSchema.safeParse({ ...payload, event: "ONCRMLEADADD" }).success).toBe(false);
    expect(Bitrix24EventPayloadSchema.safeParse({ ...payload, data: { FIELDS: { ID: "1; drop" } } }).success).toBe(false);
    const note = { v: 1, type: "onec.change", object: "Document_ЗаказКлиента", ref: "d3e1ee90-ab03-4a7a-99d1-280f42a5e9ea", dataVersion: "AAAAAAAAAAE=", deleted: false, occurredAt: "2025-01-09T06:56:47Z" };
    expect(OnecNotificationSchema.parse(note)).toEqual(note);
    expect(OnecNotificationSchema.safeParse({ ...note, ref: "not-a-guid" }).success).toBe(false);
  });
});

describe("dedupe ids", () => {
  it("are derived from content: equal content, equal id; any identifying change, another id", () => {
    expect(changeEventId({ ...event, receivedAt: "2030-01-01T00:00:00Z" } as ChangeEvent)).toBe(changeEventId(event));
    expect(changeEventId(event)).toBe("chg:bitrix24:deal:42:upsert:ONCRMDEALUPDATE@1736405807");
    expect(changeEventId({ ...event, sourceVersion: "ONCRMDEALUPDATE@1736405808" })).not.toBe(changeEventId(event));
    expect(commandId({ ...order, issuedAt: "2030-01-01T00:00:00Z" })).toBe(commandId(order));
    expect(commandId({ ...order, contentHash: "other" })).not.toBe(commandId(order));
    expect(commandId({ ...order, sourceVersion: { ...order.sourceVersion, modifiedAt: "2025-01-09T09:56:48+03:00" } })).not.toBe(commandId(order));
  });

  it("give a writer's recheck of a version the id of the source's own notification of it, so both store once", () => {
    const ref = { system: "onec" as const, entity: "order" as const, id: "5a1c4f9e-0000-4000-8000-000000000001" };
    const notified: ChangeEvent = { ...event, system: "onec", entity: "order", sourceId: ref.id, sourceVersion: "AAAAAgAAAAA=", via: "webhook" };
    const recheck = recheckEvent(ref, "AAAAAgAAAAA=");
    expect(recheck.via).toBe("recheck");
    expect(changeEventId(recheck)).toBe(changeEventId(notified));
    expect(() => recheckEvent({ ...ref, id: "not a ref" }, "AAAAAgAAAAA=")).toThrow();
  });

  it("name the content a command handled, so an outcome says which content 1C refused", () => {
    const hashed = { ...order, contentHash: contentHash(["order"]) };
    expect(commandContentHash(commandId(hashed))).toBe(hashed.contentHash);
    expect(commandContentHash(`${commandId(hashed)}:dry-run`)).toBe(hashed.contentHash);
    expect(commandContentHash(commandId(order))).toBeNull(); // "abc" is no content hash
    expect(commandContentHash(changeEventId(event))).toBeNull();
  });

  it("give a deal's sync status one id per content and cause, whenever it is issued", () => {
    const status: CrmDealSyncStatus = { v: 1, type: "bitrix24.deal.status", dealId: "42", field: "UF_CRM_CONCORD_SYNC", text: "1C: order 0000-000123", comment: null, at: "2025-01-09T06:56:49.000Z", cause: "out:onec-writer:x:created:1", issuedAt: "2025-01-09T06:56:50.000Z" };
    expect(crmCommandId({ ...status, issuedAt: "2030-01-01T00:00:00Z" })).toBe(crmCommandId(status));
    expect(crmCommandId({ ...status, text: "1C refused: no" })).not.toBe(crmCommandId(status));
    expect(crmCommandId({ ...status, cause: "out:onec-writer:y:created:1" })).not.toBe(crmCommandId(status));
    expect(crmCommandId(status)).toMatch(/^cmd:bitrix24\.deal\.status:42:[0-9a-f]{32}$/);
  });

  it("hash values independent of key order", () => {
    expect(contentHash({ a: 1, b: [1, { c: 2, d: 3 }] })).toBe(contentHash({ b: [1, { d: 3, c: 2 }], a: 1 }));
    expect(contentHash({ a: 1 })).not.toBe(contentHash({ a: 2 }));
  });
});

describe("helpers", () => {
  it("orders source versions by modification time, then by read time", () => {
    const v = (modifiedAt: string, fetchedAt: string) => ({ modifiedAt, fetchedAt });
    expect(compareSourceVersions(v("2025-01-01T10:00:00+03:00", "2025-01-01T07:00:05Z"), v("2025-01-01T10:00:01+03:00", "2025-01-01T07:00:02Z"))).toBe(-1);
    expect(compareSourceVersions(v("2025-01-01T10:00:00+03:00", "2025-01-01T07:00:05Z"), v("2025-01-01T10:00:00+03:00", "2025-01-01T07:00:02Z"))).toBe(1);
    expect(compareSourceVersions(v("2025-01-01T10:00:00+03:00", "2025-01-01T07:00:05Z"), v("2025-01-01T10:00:00+03:00", "2025-01-01T07:00:05Z"))).toBe(0);
  });

  it("normalises money to two decimals", () => {
    expect(toMoney("1000000.00")).toBe("1000000.00");
    expect(toMoney(1500.5)).toBe("1500.50");
    expect(toMoney(null)).toBe("0.00");
    expect(toMoney("abc")).toBe("0.00");
  });

  it("namespaces subjects and streams and refuses unsafe namespaces", () => {
    const s = createSubjects("concord");
    expect(s.event("bitrix24", "deal")).toBe("concord.events.bitrix24.deal");
    expect(s.streams.events).toBe("CONCORD_EVENTS");
    expect(() => createSubjects("a.b")).toThrow();
  });
});
