import { describeDeadLetter, manualChangeEvent, ResyncRequestSchema, retryMessageId, DlqMarkRequestSchema } from "./dead-letter-operations";
import { ChangeEventSchema } from "./events";

const json = (v: unknown) => JSON.stringify(v);

describe("describeDeadLetter", () => {
  it.each([
    ["concord.commands.onec.order", json({ type: "onec.order.upsert", source: { system: "bitrix24", entity: "deal", id: "7" } }), "bitrix24.deal→onec.order", "bitrix24:deal:7"],
    ["concord.commands.onec.counterparty", json({ source: { system: "bitrix24", entity: "contact", id: "3" } }), "bitrix24.contact→onec.counterparty", "bitrix24:contact:3"],
    ["e2eab.commands.bitrix24.deal", json({ type: "bitrix24.deal.update", dealId: "9", source: { system: "onec", entity: "order", id: "ref-1" } }), "onec.order→bitrix24.deal", "onec:order:ref-1"],
    ["concord.commands.bitrix24.deal", json({ type: "bitrix24.deal.link", dealId: "9" }), "bitrix24.deal→onec.order", "bitrix24:deal:9"],
    ["concord.events.bitrix24.deal", json({ type: "change", system: "bitrix24", entity: "deal", sourceId: "5" }), "bitrix24.deal→onec.order", "bitrix24:deal:5"],
    ["concord.events.onec.product", json({ type: "change", system: "onec", entity: "product", sourceId: "p-1" }), "onec.product→bitrix24.product", "onec:product:p-1"],
    ["concord.events.onec.order", "not json", "onec.order→bitrix24.deal", null],
    ["concord.commands.onec.order", "{}", "bitrix24.deal→onec.order", null],
    ["concord.outcomes.onec.order", "{}", null, null],
  ])("%s %s", (subject, data, flow, record) => {
    const info = describeDeadLetter(subject, data);
    expect(info.flow).toBe(flow);
    expect(info.record ? `${info.record.system}:${info.record.entity}:${info.record.id}` : null).toBe(record);
  });
});

it("builds retry ids and manual change events", () => {
  expect(retryMessageId(42, 1)).toBe("retry:42:1");
  const event = manualChangeEvent({ system: "bitrix24", entity: "deal", id: "7" }, new Date("2026-05-01T12:00:00Z"));
  expect(ChangeEventSchema.parse(event)).toMatchObject({ via: "manual", sourceVersion: "manual@2026-05-01T12:00:00.000Z", sourceId: "7", action: "upsert" });
});

it("accepts only resyncable records and discards with a reason", () => {
  expect(ResyncRequestSchema.safeParse({ system: "onec", entity: "counterparty", id: "0f8fad5b-d9cb-469f-a165-70867728950e" }).success).toBe(true);
  expect(ResyncRequestSchema.safeParse({ system: "onec", entity: "deal", id: "x" }).success).toBe(false);
  expect(ResyncRequestSchema.safeParse({ system: "bitrix24", entity: "product", id: "1" }).success).toBe(false);
  expect(ResyncRequestSchema.safeParse({ system: "bitrix24", entity: "deal", id: " " }).success).toBe(false);
  expect(DlqMarkRequestSchema.safeParse({ id: 1, status: "discarded" }).success).toBe(false);
  expect(DlqMarkRequestSchema.safeParse({ id: 1, status: "discarded", reason: "  " }).success).toBe(false);
  expect(DlqMarkRequestSchema.safeParse({ id: 1, status: "open" }).success).toBe(false);
});
