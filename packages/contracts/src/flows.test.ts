import { FlowModeRecordSchema, actionOfChangeId, describeWouldBeWrite, replayChangeEvent } from "./flows";
import { changeEventId, commandId, crmCommandId } from "./dedupe";
import type { CrmDealLink, OnecOrderDelete } from "./commands";

describe("describeWouldBeWrite", () => {
  it("says what would be written, with the body as compact JSON", () => {
    expect(describeWouldBeWrite("create Catalog_Контрагенты", { Description: "ООО Ромашка", Партнер_Key: "(new partner of company 5)" })).toBe(
      'would create Catalog_Контрагенты: {"Description":"ООО Ромашка","Партнер_Key":"(new partner of company 5)"}',
    );
    expect(describeWouldBeWrite("mark the mapping deleted")).toBe("would mark the mapping deleted");
  });

  it("keeps a long body short enough for an outcome's detail", () => {
    const rows = Array.from({ length: 200 }, (_, i) => ({ LineNumber: i + 1, Номенклатура_Key: "0f0b7e8a-5d2c-4a51-9f0e-5b1c2d3e4f50", Количество: 1 }));
    const text = describeWouldBeWrite("create Document_ЗаказКлиента", { Товары: rows, Комментарий: "x".repeat(5000) });
    expect(text.length).toBeLessThan(1700);
    expect(text).toMatch(/… \(\d+ chars\)$/);
    expect(describeWouldBeWrite("update", { Комментарий: "y".repeat(500) })).toContain(`${"y".repeat(200)}…`);
  });
});

describe("replays after a switch to live", () => {
  const ref = { system: "bitrix24" as const, entity: "deal" as const, id: "42" };

  it("are stored once per switch, and again at the next switch", () => {
    const first = replayChangeEvent(ref, "upsert", "2026-12-01T08:00:00.000Z");
    const again = replayChangeEvent(ref, "upsert", "2026-12-01T08:00:00.000Z");
    const next = replayChangeEvent(ref, "upsert", "2026-12-02T08:00:00.000Z");
    expect(changeEventId(first)).toBe(changeEventId(again));
    expect(changeEventId(first)).not.toBe(changeEventId(next));
    expect(changeEventId(first)).toBe("chg:bitrix24:deal:42:upsert:replay@2026-12-01T08:00:00.000Z");
  });

  it("keep the action of the change decided in dry-run", () => {
    expect(actionOfChangeId("chg:bitrix24:deal:42:delete:ONCRMDEALDELETE@1")).toBe("delete");
    expect(actionOfChangeId("chg:onec:order:9d5b3c2e-0000-4000-8000-000000000001:upsert:AAA")).toBe("upsert");
    expect(actionOfChangeId("retry:5:1")).toBe("upsert");
  });
});

it("a command decided in dry-run has a dedupe id of its own, so the same write decided live is not dropped", () => {
  const mark = { flow: "orders.crmToOnec" as const, decidedAt: "2026-12-01T08:00:00.000Z", origin: { system: "bitrix24" as const, entity: "deal" as const, id: "42" }, action: "delete" as const };
  const command: OnecOrderDelete = {
    v: 1,
    type: "onec.order.delete",
    source: mark.origin,
    sourceVersion: { modifiedAt: "2026-12-01T07:59:00.000Z", fetchedAt: "2026-12-01T08:00:00.000Z" },
    issuedAt: "2026-12-01T08:00:00.000Z",
    mode: "deletionMark",
    status: null,
    contentHash: "h",
  };
  expect(commandId({ ...command, dryRun: mark })).toBe(`${commandId(command)}:dry-run`);
  const link: CrmDealLink = { v: 1, type: "bitrix24.deal.link", dealId: "42", originatorId: "1C", originId: "9d5b3c2e-0000-4000-8000-000000000001", issuedAt: "2026-12-01T08:00:00.000Z" };
  expect(crmCommandId({ ...link, dryRun: mark })).not.toBe(crmCommandId(link));
});

it("a flow's mode record names who set it and what it was before", () => {
  const record = { flow: "customers", mode: "live", since: "2026-12-01T08:00:00.000Z", by: "alice", source: "console", previous: { mode: "dry-run", since: "2026-11-30T08:00:00.000Z" } };
  expect(FlowModeRecordSchema.parse(record)).toEqual(record);
  expect(FlowModeRecordSchema.safeParse({ ...record, flow: "orders" }).success).toBe(false);
});
