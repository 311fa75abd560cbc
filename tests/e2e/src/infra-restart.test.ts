import { startOwnNats, startOwnPostgres, type OwnServer } from "@concord/launcher";
import { freePort, waitFor } from "@concord/testkit";
import { ORDER_SET, createDeal, startTestSystem, waitQuiet, markerOf, type TestSystem } from "./harness";

jest.setTimeout(300_000);

let nats: OwnServer;
let pg: OwnServer;
let t: TestSystem;
beforeAll(async () => {
  nats = await startOwnNats({ port: await freePort() });
  pg = await startOwnPostgres({ port: await freePort() });
  // Webhooks refused while NATS is down are lost (Bitrix24 never resends): the sweep catches them.
  t = await startTestSystem({ natsUrl: nats.url, databaseUrl: pg.url, env: { "crm-writer": { CRM_SWEEP_INTERVAL_MS: "3000" } } });
}, 180_000);
afterAll(async () => {
  await t?.stop().catch(() => undefined);
  await nats?.stop();
  await pg?.stop();
}, 60_000);

async function expectEachDealOnce(dealIds: string[]) {
  await waitFor(async () => ((await t.onecRecords(ORDER_SET)).length >= dealIds.length ? true : undefined), { timeoutMs: 180_000, intervalMs: 1_000, what: `${dealIds.length} orders` });
  await waitQuiet(t, 5_000, 120_000);
  const orders = await t.onecRecords(ORDER_SET);
  expect(orders).toHaveLength(dealIds.length);
  for (const id of dealIds) expect(orders.filter((o) => o.НомерПоДаннымКлиента === `B24-D-${id}`)).toHaveLength(1);
}

it("loses and duplicates nothing when NATS restarts mid-flow, then when PostgreSQL restarts mid-flow", async () => {
  const companyId = await t.b24<number>("crm.company.add", { fields: { TITLE: "ООО Перезапуск" } });
  const dealIds: string[] = [];
  for (let i = 0; i < 8; i++) dealIds.push((await createDeal(t, { companyId, title: `До NATS ${i}` })).dealId);
  await nats.restart();
  for (let i = 0; i < 4; i++) dealIds.push((await createDeal(t, { companyId, title: `После NATS ${i}` })).dealId);
  await expectEachDealOnce(dealIds);

  for (let i = 0; i < 8; i++) dealIds.push((await createDeal(t, { companyId, title: `До PostgreSQL ${i}` })).dealId);
  await pg.restart();
  for (let i = 0; i < 4; i++) dealIds.push((await createDeal(t, { companyId, title: `После PostgreSQL ${i}` })).dealId);
  await expectEachDealOnce(dealIds);

  const counterparties = (await t.onecRecords("Catalog_Контрагенты")).filter((c) => String(markerOf(c)).startsWith("concord:bitrix24:company:"));
  expect(counterparties).toHaveLength(1);
  for (const proc of t.system.processes.values()) expect(proc.running).toBe(true);
});
