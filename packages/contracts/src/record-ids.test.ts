import { ChangeEventSchema } from "./events";
import { ResyncRequestSchema } from "./dead-letter-operations";
import { ClaimRequestSchema } from "./mapping";
import { isValidRecordId, recordIdProblem } from "./record-ids";
import { RecordRefSchema } from "./systems";

const guid = "0f8fad5b-d9cb-469f-a165-70867728950e";

describe("record ids by system and entity", () => {
  it.each([
    ["onec", "order", guid, true],
    ["onec", "counterparty", guid.toUpperCase(), true],
    ["onec", "order", `${guid}')/../../Catalog_Пользователи(guid'${guid}`, false],
    ["onec", "order", "42", false],
    ["onec", "deal", guid, false],
    ["bitrix24", "deal", "42", true],
    ["bitrix24", "product", "1", true],
    ["bitrix24", "deal", "0", false],
    ["bitrix24", "deal", "-1", false],
    ["bitrix24", "deal", "042", false],
    ["bitrix24", "deal", "4 2", false],
    ["bitrix24", "deal", "1/../../profile", false],
    ["bitrix24", "order", "42", false],
  ] as const)("%s %s %j → %s", (system, entity, id, ok) => {
    expect(isValidRecordId(system, entity, id)).toBe(ok);
  });

  it("names the problem", () => {
    expect(recordIdProblem("onec", "order", "x")).toMatch(/Ref_Key GUID/);
    expect(recordIdProblem("bitrix24", "deal", "x")).toMatch(/positive integer/);
  });

  it("the resync request and the change event refuse a crafted 1C id", () => {
    const crafted = `${guid}')/../../Catalog_Пользователи(guid'${guid}`;
    const resync = ResyncRequestSchema.safeParse({ system: "onec", entity: "order", id: crafted });
    expect(resync.success).toBe(false);
    if (!resync.success) expect(resync.error.issues[0]?.path).toEqual(["id"]);
    expect(ResyncRequestSchema.safeParse({ system: "onec", entity: "order", id: guid }).success).toBe(true);
    expect(ResyncRequestSchema.safeParse({ system: "bitrix24", entity: "deal", id: "7" }).success).toBe(true);
    const event = {
      v: 1,
      type: "change",
      system: "onec",
      entity: "order",
      sourceId: crafted.slice(0, 64),
      action: "upsert",
      sourceVersion: "AAA",
      occurredAt: "2026-05-01T12:00:00.000Z",
      receivedAt: "2026-05-01T12:00:00.000Z",
      via: "manual",
    };
    expect(ChangeEventSchema.safeParse(event).success).toBe(false);
    expect(ChangeEventSchema.safeParse({ ...event, sourceId: guid }).success).toBe(true);
  });
});

it("every record reference of the protocol (commands, mapping, outcomes) is checked the same way", () => {
  const crafted = `${guid}')/../../Catalog_Пользователи(guid'${guid}`;
  expect(RecordRefSchema.safeParse({ system: "onec", entity: "counterparty", id: crafted }).success).toBe(false);
  expect(RecordRefSchema.safeParse({ system: "bitrix24", entity: "company", id: "12 OR 1=1" }).success).toBe(false);
  expect(RecordRefSchema.safeParse({ system: "onec", entity: "counterparty", id: guid }).success).toBe(true);
  const claim = (id: string) => ClaimRequestSchema.safeParse({ source: { system: "bitrix24", entity: "deal", id }, targetSystem: "onec", targetEntity: "order", createdBy: "flow" }).success;
  expect(claim("../7")).toBe(false);
  expect(claim("7")).toBe(true);
});
