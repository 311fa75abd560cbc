import { waitFor } from "@concord/testkit";
import { COUNTERPARTY_SET, ORDER_SET, createDeal, editInOnec, onecOrder, startTestSystem, syncedDeal, waitQuiet, type TestSystem } from "./harness";

jest.setTimeout(240_000);

/**
 * Every entity and every delete caught up (issue 11): with every webhook or notification of the
 * change lost, the sweeps of companies, counterparties and the deal existence check find it.
 */
let t: TestSystem;
beforeAll(async () => {
  t = await startTestSystem({
    env: {
      "crm-writer": { CRM_SWEEP_INTERVAL_MS: "2000", CRM_SWEEP_OVERLAP_MS: "5000", CRM_EXISTENCE_INTERVAL_MS: "3000" },
      "onec-writer": { ONEC_SWEEP_INTERVAL_MS: "2000" },
    },
  });
}, 120_000);
afterAll(async () => {
  await t?.stop();
}, 60_000);

const put = (body: unknown) => ({ method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
const counterpartyOf = async (orderRef: string) => String((await onecOrder(t, orderRef)).Контрагент_Key);
const counterparty = async (ref: string) => t.onecAdmin<Record<string, unknown>>(`records/${encodeURIComponent(COUNTERPARTY_SET)}/${ref}`);

it("a company edit whose webhook was lost reaches 1C through the company sweep", async () => {
  const { companyId, ref } = await syncedDeal(t);
  const counterpartyRef = await counterpartyOf(ref);
  await t.b24Admin("faults", put({ events: { dropRate: 1 }, seed: 3 }));
  try {
    await t.b24("crm.company.update", { id: companyId, fields: { TITLE: "ООО Переименованная без вебхука" } });
    await t.b24Admin("events/drain", { method: "POST" });
    await waitFor(async () => ((await counterparty(counterpartyRef)).Description === "ООО Переименованная без вебхука" ? true : undefined), {
      timeoutMs: 60_000,
      what: "the counterparty renamed through the company sweep",
    });
  } finally {
    await t.b24Admin("faults", { method: "DELETE" });
  }
  const viaSweep = await t.sql<Array<{ n: number }>>`select count(*)::int as n from exchange_log where stage = 'resolver' and record_id = ${companyId} and message_id like '%sweep@%'`;
  expect(viaSweep[0]?.n).toBeGreaterThan(0);
});

it("a counterparty edit whose notification was lost reaches the CRM through the counterparty sweep", async () => {
  const { companyId, ref } = await syncedDeal(t);
  const counterpartyRef = await counterpartyOf(ref);
  await t.onecAdmin("faults", put({ notifications: { dropRate: 1 }, seed: 4 }));
  try {
    await editInOnec(t, COUNTERPARTY_SET, counterpartyRef, { ИНН: "7707083893", КПП: "773601001" });
    await waitFor(async () => {
      const requisites = await t.b24<Array<Record<string, unknown>>>("crm.requisite.list", { filter: { ENTITY_TYPE_ID: 4, ENTITY_ID: companyId } });
      return requisites[0]?.RQ_INN === "7707083893" ? true : undefined;
    }, { timeoutMs: 60_000, what: "the company's INN through the counterparty sweep" });
  } finally {
    await t.onecAdmin("faults", { method: "DELETE" });
  }
});

it("a 1C sweep that lost its kept versions does not absorb a change made meanwhile: paired records are compared", async () => {
  const { companyId, ref } = await syncedDeal(t);
  const counterpartyRef = await counterpartyOf(ref);
  await new Promise((r) => setTimeout(r, 3_000)); // a sweep has kept its version
  await t.onecAdmin("faults", put({ notifications: { dropRate: 1 }, seed: 6 }));
  try {
    // Edited, and right after it the state bucket's sweep keys are gone (a new NATS, a bucket
    // restored from an old backup): the next sweep starts from nothing.
    const bucket = t.subjects.stateBucket;
    await editInOnec(t, COUNTERPARTY_SET, counterpartyRef, { ИНН: "5001234567", КПП: "500101001" });
    await t.jsm.streams.purge(`KV_${bucket}`, { filter: `$KV.${bucket}.sweep.onec.counterparty.>` });
    await waitFor(async () => {
      const requisites = await t.b24<Array<Record<string, unknown>>>("crm.requisite.list", { filter: { ENTITY_TYPE_ID: 4, ENTITY_ID: companyId } });
      return requisites[0]?.RQ_INN === "5001234567" ? true : undefined;
    }, { timeoutMs: 60_000, what: "the company's INN through the first sweep after the versions were lost" });
  } finally {
    await t.onecAdmin("faults", { method: "DELETE" });
  }
});

it("a deal delete whose webhook was lost marks its 1C order for deletion through the existence check", async () => {
  const { dealId, ref } = await syncedDeal(t);
  // Let the existence check list the deal once before it goes.
  await new Promise((r) => setTimeout(r, 4_000));
  await t.b24Admin("faults", put({ events: { dropRate: 1 }, seed: 5 }));
  try {
    await t.b24("crm.deal.delete", { id: dealId });
    await t.b24Admin("events/drain", { method: "POST" });
    await waitFor(async () => ((await onecOrder(t, ref)).DeletionMark === true ? true : undefined), { timeoutMs: 60_000, what: "the 1C order marked for deletion" });
  } finally {
    await t.b24Admin("faults", { method: "DELETE" });
  }
});

it("a delete racing its deal's pending create ends with the 1C order marked for deletion, and only one order", async () => {
  // 1C slow to answer creates: the deal's order is still being created when the delete arrives.
  await t.onecAdmin("faults", put({ [ORDER_SET]: { POST: { latencyMs: 3_000 } } }));
  try {
    const { dealId } = await createDeal(t, { title: "Удалённая сразу" });
    await waitFor(async () => {
      const rows = await t.sql<Array<{ state: string }>>`select state from id_mapping where source_system = 'bitrix24' and source_entity = 'deal' and source_id = ${dealId}`;
      return rows[0]?.state === "claimed" ? true : undefined;
    }, { timeoutMs: 30_000, intervalMs: 100, what: "the order's create to be pending" });
    await t.b24("crm.deal.delete", { id: dealId });
    const order = await waitFor(async () => {
      const orders = (await t.onecRecords(ORDER_SET)).filter((o) => o.НомерПоДаннымКлиента === `B24-D-${dealId}`);
      return orders.length === 1 && orders[0]?.DeletionMark === true ? orders[0] : undefined;
    }, { timeoutMs: 60_000, what: "the order created and then marked for deletion" });
    expect(order.DeletionMark).toBe(true);
    // It did race: the delete came while the create was pending, and waited for it.
    const waited = await t.sql<Array<{ n: number }>>`select count(*)::int as n from exchange_log where record_id = ${dealId} and detail like '%waits for the create to settle%'`;
    expect(waited[0]?.n).toBeGreaterThan(0);
  } finally {
    await t.onecAdmin("faults", { method: "DELETE" });
  }
  await waitQuiet(t, 3_000, 60_000);
  expect((await t.jsm.streams.info(t.subjects.streams.dlq)).state.messages).toBe(0);
});
