import { waitFor } from "@concord/testkit";
import { ORDER_SET, createDeal, startTestSystem, waitQuiet, type TestSystem } from "./harness";

jest.setTimeout(240_000);

let t: TestSystem;
beforeAll(async () => {
  t = await startTestSystem(); // no sweep: every change must come through the event pipeline
}, 120_000);
afterAll(async () => {
  await t?.stop();
}, 60_000);

it("loses and duplicates nothing when every worker is stopped with SIGTERM and restarted under load", async () => {
  const companyId = await t.b24<number>("crm.company.add", { fields: { TITLE: "ООО Под нагрузкой" } });
  const dealIds: string[] = [];
  const load = (async () => {
    for (let i = 0; i < 30; i++) dealIds.push((await createDeal(t, { companyId, title: `Нагрузка ${i}` })).dealId);
  })();
  for (const name of ["resolver", "onec-writer", "crm-writer", "mapping"]) {
    await new Promise((r) => setTimeout(r, 1_500));
    const proc = t.system.process(name);
    expect(await proc.stop()).toBe(0); // graceful: in-flight messages finished or nak'd
    await t.system.restart(name);
  }
  await load;
  await waitFor(async () => ((await t.onecRecords(ORDER_SET)).length >= 30 ? true : undefined), { timeoutMs: 180_000, intervalMs: 1_000, what: "30 orders" });
  await waitQuiet(t, 5_000, 120_000);
  const orders = await t.onecRecords(ORDER_SET);
  expect(orders).toHaveLength(30);
  for (const id of dealIds) expect(orders.filter((o) => o.НомерПоДаннымКлиента === `B24-D-${id}`)).toHaveLength(1);
});
