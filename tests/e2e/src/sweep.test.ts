import { waitFor } from "@concord/testkit";
import { waitReady } from "@concord/launcher";
import { ORDER_SET, createDeal, editInOnec, ingressProcesses, startTestSystem, syncedDeal, waitQuiet, markerOf, type TestSystem } from "./harness";

jest.setTimeout(240_000);

let t: TestSystem;
beforeAll(async () => {
  t = await startTestSystem({ env: { "crm-writer": { CRM_SWEEP_INTERVAL_MS: "3000" }, "onec-writer": { ONEC_SWEEP_INTERVAL_MS: "3000" } } });
}, 120_000);
afterAll(async () => {
  await t?.stop();
}, 60_000);

it("applies, once each, 100 deal changes whose webhooks were lost while ingress was down for 30 s", async () => {
  const ingress = ingressProcesses(t);
  const downSince = Date.now();
  for (const proc of ingress) await proc.stop();
  const companies: number[] = [];
  for (let i = 0; i < 10; i++) companies.push(await t.b24<number>("crm.company.add", { fields: { TITLE: `ООО Пропущенная ${i}` } }));
  const deals = [];
  for (let i = 0; i < 100; i++) deals.push(await createDeal(t, { companyId: companies[i % 10], title: `Потерянный вебхук ${i}` }));
  await t.b24Admin("events/drain", { method: "POST" });
  const events = await t.b24Admin<{ events: { failed: number } }>("stats");
  expect(events.events.failed).toBeGreaterThanOrEqual(100); // Bitrix24 never resends them
  await new Promise((r) => setTimeout(r, Math.max(0, 30_000 - (Date.now() - downSince))));
  for (const proc of ingress) proc.start();
  for (const proc of ingress) await waitReady(proc);

  await waitFor(async () => {
    const orders = await t.onecRecords(ORDER_SET);
    return orders.length >= 100 ? true : undefined;
  }, { timeoutMs: 180_000, intervalMs: 1_000, what: "100 orders from the sweep" });
  await waitQuiet(t, 5_000, 120_000);
  const orders = await t.onecRecords(ORDER_SET);
  const byDeal = new Map<string, number>();
  for (const o of orders) byDeal.set(String(o.НомерПоДаннымКлиента), (byDeal.get(String(o.НомерПоДаннымКлиента)) ?? 0) + 1);
  expect(orders).toHaveLength(100);
  for (const { dealId } of deals) expect(byDeal.get(`B24-D-${dealId}`)).toBe(1);
  const counterparties = (await t.onecRecords("Catalog_Контрагенты")).filter((c) => String(markerOf(c)).startsWith("concord:bitrix24:company:"));
  expect(counterparties).toHaveLength(10);
  const viaSweep = await t.sql<Array<{ n: number }>>`select count(distinct record_id)::int as n from exchange_log where stage = 'resolver' and message_id like '%sweep@%'`;
  expect(viaSweep[0]?.n).toBeGreaterThanOrEqual(100);
});

it("applies a 1C change whose notification was lost, through the DataVersion sweep", async () => {
  const { dealId, ref } = await syncedDeal(t);
  const put = { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ notifications: { dropRate: 1 }, seed: 1 }) };
  await t.onecAdmin("faults", put);
  try {
    await editInOnec(t, ORDER_SET, ref, { СостояниеОтгрузки: "Отгружен" });
    await waitFor(async () => {
      const deal = await t.b24<Record<string, unknown>>("crm.deal.get", { id: dealId });
      return deal.UF_CRM_ONEC_SHIPMENT === "Отгружен" ? true : undefined;
    }, { timeoutMs: 30_000, what: "the shipment state through the sweep" });
  } finally {
    await t.onecAdmin("faults", { method: "DELETE" });
  }
  const rows = await t.sql<Array<{ message_id: string }>>`select message_id from exchange_log where stage = 'resolver' and record_id = ${ref} and result = 'commanded'`;
  expect(rows.length).toBeGreaterThan(0);
});
