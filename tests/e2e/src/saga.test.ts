import { waitFor } from "@concord/testkit";
import { ORDER_SET, onecOrder, startTestSystem, syncedDeal, waitQuiet, type TestSystem } from "./harness";

jest.setTimeout(120_000);

let t: TestSystem;
beforeAll(async () => {
  t = await startTestSystem();
}, 120_000);
afterAll(async () => {
  await t?.stop();
}, 60_000);

it("reverts a deal moved to WON when 1C refuses to close its order, comments why and raises an alert", async () => {
  const { dealId, ref } = await syncedDeal(t); // stage EXECUTING ↔ КОбеспечению
  const rule = { set: ORDER_SET, when: { field: "Статус", equals: "Закрыт" }, message: "Заказ нельзя закрыть: не оплачен" };
  await t.onecAdmin("reject", { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(rule) });
  try {
    await t.b24("crm.deal.update", { id: dealId, fields: { STAGE_ID: "WON" } });
    const deal = await waitFor(async () => {
      const d = await t.b24<Record<string, unknown>>("crm.deal.get", { id: dealId });
      return d.STAGE_ID === "EXECUTING" ? d : undefined;
    }, { timeoutMs: 45_000, what: "the stage to be reverted" });
    expect(deal.STAGE_ID).toBe("EXECUTING");
    await waitQuiet(t);
  } finally {
    await t.onecAdmin("reject", { method: "DELETE" });
  }
  const comments = await t.b24Admin<Array<Record<string, unknown>>>("records/timeline");
  const ours = comments.filter((c) => String(c.ENTITY_ID) === dealId);
  expect(ours).toHaveLength(1);
  expect(String(ours[0]?.COMMENT)).toContain("Заказ нельзя закрыть");
  const alerts = await t.sql<Array<{ detail: string }>>`select detail from exchange_log where record_id = ${dealId} and result = 'compensated'`;
  expect(alerts).toHaveLength(1);
  expect(alerts[0]?.detail).toMatch(/^ALERT: stage WON reverted to EXECUTING/);
  expect((await onecOrder(t, ref)).Статус).toBe("КОбеспечению"); // 1C never took the refused status
});
