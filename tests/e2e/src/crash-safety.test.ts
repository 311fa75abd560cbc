import { waitFor } from "@concord/testkit";
import { waitReady } from "@concord/launcher";
import { createDeal, mappingOf, ordersOfDeal, startTestSystem, markerOf, type TestSystem } from "./harness";

jest.setTimeout(120_000);

let t: TestSystem;
beforeAll(async () => {
  // One replica: the test choreographs the crashes of the one writer that holds the command.
  t = await startTestSystem({
    replicas: 1,
    env: {
      // Dies right after the 1C create, before the mapping confirm; short AckWait, lease and 1C
      // timeout (the create stays in doubt twice that long) so the restarted writer settles it
      // within seconds.
      "onec-writer": { ONEC_TEST_FAULT: "crash-after-create", ONEC_ACK_WAIT_MS: "6000", ONEC_LEASE_TTL_MS: "4000", ONEC_TIMEOUT_MS: "3000" },
    },
  });
}, 120_000);
afterAll(async () => {
  await t?.stop();
}, 60_000);

it("keeps exactly one order when onec-writer is SIGKILLed between the 1C create and the mapping confirm", async () => {
  const writer = t.system.process("onec-writer");
  const { dealId } = await createDeal(t);

  // First create is the counterparty: the writer dies there; restart it still armed, and it
  // dies again after the order create. Each time the record exists in 1C but is unconfirmed.
  const firstExit = await writer.waitForExit();
  expect(firstExit).toBeNull(); // killed by a signal
  writer.start();
  await waitReady(writer);
  await writer.waitForExit();
  const [orphan] = await ordersOfDeal(t, dealId);
  expect(orphan).toBeDefined();
  const [claimed] = await mappingOf(t, "deal", dealId);
  expect(claimed).toMatchObject({ state: "claimed", target_id: null });
  // The create is in doubt, visibly, until a find settles it.
  const [doubt] = await t.sql<Array<{ create_attempted_at: Date | null }>>`select create_attempted_at from id_mapping where id = ${claimed!.id}`;
  expect(doubt?.create_attempted_at).toBeInstanceOf(Date);

  // Restart without the fault: the redelivered command finds the order by its inverse id.
  writer.spec.env = { ...writer.spec.env, ONEC_TEST_FAULT: "" };
  writer.start();
  await waitReady(writer);
  const [confirmed] = await waitFor(async () => {
    const rows = await mappingOf(t, "deal", dealId);
    return rows[0]?.state === "confirmed" ? rows : undefined;
  }, { timeoutMs: 60_000, what: "the order mapping to be confirmed" });
  expect(confirmed?.target_id).toBe(orphan?.Ref_Key);
  expect(await ordersOfDeal(t, dealId)).toHaveLength(1);
  const [customer] = await t.sql<Array<{ state: string; target_id: string }>>`
    select state, target_id from id_mapping where source_entity = 'company'`;
  expect(customer?.state).toBe("confirmed");
  const counterparties = (await t.onecRecords("Catalog_Контрагенты")).filter((c) => String(markerOf(c)).startsWith("concord:bitrix24:company:"));
  expect(counterparties).toHaveLength(1);
  const deal = await waitFor(async () => {
    const d = await t.b24<Record<string, unknown>>("crm.deal.get", { id: dealId });
    return d.ORIGIN_ID ? d : undefined;
  }, { what: "the deal to carry the order's Ref_Key" });
  expect(deal.ORIGIN_ID).toBe(orphan?.Ref_Key);
});
