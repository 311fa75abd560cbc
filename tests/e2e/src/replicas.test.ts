import { waitFor } from "@concord/testkit";
import { COUNTERPARTY_SET, createDeal, mappingOf, ordersOfDeal, startTestSystem, markerOf, type TestSystem } from "./harness";

// Generous: a replica stopped past its deadline leaves work to AckWait (60 s) and lease expiry.
jest.setTimeout(240_000);

let t: TestSystem;
beforeAll(async () => {
  t = await startTestSystem({ replicas: 2 });
}, 180_000);
afterAll(async () => {
  await t?.stop();
}, 60_000);

it("keeps one order per deal and one counterparty per company with two replicas of every worker, one of them stopped mid-flow", async () => {
  const companyId = await t.b24<number>("crm.company.add", { fields: { TITLE: "ООО Две Реплики" } });
  const deals = await Promise.all(Array.from({ length: 6 }, (_, i) => createDeal(t, { companyId, title: `Replica deal ${i}` })));
  // A graceful stop of one replica of each writer while the deals flow: in-flight work finishes or is redelivered.
  const [writerExit, resolverExit] = await Promise.all([t.system.process("onec-writer-2").stop(), t.system.process("resolver-2").stop()]);
  expect(writerExit).toBe(0);
  expect(resolverExit).toBe(0);

  for (const { dealId } of deals) {
    await waitFor(async () => ((await mappingOf(t, "deal", dealId))[0]?.state === "confirmed" ? true : undefined), {
      timeoutMs: 180_000,
      what: `deal ${dealId} to be confirmed`,
    });
  }
  await new Promise((r) => setTimeout(r, 3_000));
  for (const { dealId } of deals) expect(await ordersOfDeal(t, dealId)).toHaveLength(1);
  const counterparties = (await t.onecRecords(COUNTERPARTY_SET)).filter((c) => markerOf(c) === `concord:bitrix24:company:${companyId}`);
  expect(counterparties).toHaveLength(1);
  const orders = await t.onecRecords("Document_ЗаказКлиента");
  expect(orders).toHaveLength(deals.length);
});
