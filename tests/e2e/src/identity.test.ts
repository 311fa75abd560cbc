import { waitFor } from "@concord/testkit";
import { COUNTERPARTY_SET, ORDER_SET, createDeal, editInOnec, mappingOf, markerOf, onecOrder, ordersOfDeal, startTestSystem, syncedDeal, waitQuiet, type TestSystem, createInOnec as createOnecRecord, managerOrder } from "./harness";

jest.setTimeout(180_000);

// Issue 10: identity that cannot double or be fooled — creates in doubt, one claim per
// identity, markers that prove themselves, deletes confirmed at the source, undeletes.

type Rec = Record<string, unknown>;
let t: TestSystem;
beforeAll(async () => {
  t = await startTestSystem({
    // A 2 s 1C timeout: a create stays in doubt 4 s (twice that) before a find settles it.
    env: { "onec-writer": { ONEC_TIMEOUT_MS: "2000", ONEC_LEASE_TTL_MS: "5000", ONEC_ACK_WAIT_MS: "10000" } },
  });
}, 120_000);
afterAll(async () => {
  await t?.stop();
}, 60_000);

const put = (body: unknown): RequestInit => ({ method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
const createInOnec = (set: string, body: Rec) => createOnecRecord(t, set, body);
const outcomes = (recordId: string, stage: string) => t.sql<Array<{ result: string; detail: string }>>`select result, detail from exchange_log where record_id = ${recordId} and stage = ${stage} order by at`;
const sku = async (article: string) => ((await t.onecRecords("Catalog_Номенклатура")).find((p) => p.Артикул === article) as Rec).Ref_Key as string;

/** A counterparty with its partner and an order for it, as a 1C manager creates them. */
async function onecBornOrder(name: string, extra: Rec = {}) {
  const partner = await createInOnec("Catalog_Партнеры", { Description: name, Клиент: true, ЮрФизЛицо: "Компания" });
  const counterparty = await createInOnec(COUNTERPARTY_SET, { Description: name, ЮрФизЛицо: "ЮрЛицо", Партнер_Key: partner.Ref_Key, ...extra });
  const order = await createInOnec(ORDER_SET, managerOrder({ counterparty: counterparty.Ref_Key, partner: partner.Ref_Key }, `Заказ ${name}`, [{ product: await sku("SKU-005"), quantity: 1, price: 100 }]));
  return { partner, counterparty, order };
}

it("a 1C POST that outlives Concord's timeout and commits later stays in doubt, is found, and is never created twice", async () => {
  // 1C takes 10 s to answer an order POST; Concord gives up after 2 s; 1C commits 1.5 s after that.
  await t.onecAdmin("faults", put({ [ORDER_SET]: { POST: { latencyMs: 10_000, slowCommitMs: 1_500 } } }));
  try {
    const { dealId } = await createDeal(t);
    const [mapping] = await waitFor(async () => {
      const rows = await mappingOf(t, "deal", dealId);
      return rows[0]?.state === "confirmed" ? rows : undefined;
    }, { timeoutMs: 60_000, what: "the order pair to be confirmed" });
    await waitQuiet(t);
    const orders = await ordersOfDeal(t, dealId);
    expect(orders).toHaveLength(1);
    expect(mapping?.target_id).toBe(orders[0]?.Ref_Key);
    const writer = (await outcomes(dealId, "onec-writer")).map((o) => o.detail).join("\n");
    expect(writer).toContain("no known outcome");
    expect(writer).toContain("found by inverse id after a create in doubt");
  } finally {
    await t.onecAdmin("faults", { method: "DELETE" });
  }
});

it("one claim per identity: a deal for a company Concord is still creating from 1C does not make a second counterparty", async () => {
  // The company exists in the CRM (with the counterparty's Ref_Key) while its pair is unconfirmed: its requisite is slow.
  await t.b24Admin("faults", put({ methods: { "crm.requisite.add": { latencyMs: 6_000 } } }));
  try {
    const { counterparty } = await onecBornOrder("ООО Встречное", { ИНН: "7705551234", КПП: "770501001" });
    const company = await waitFor(async () => (await t.b24<Rec[]>("crm.company.list", { filter: { ORIGIN_ID: counterparty.Ref_Key } }))[0], {
      timeoutMs: 30_000,
      intervalMs: 100,
      what: "the company created from the counterparty",
    });
    const { dealId } = await createDeal(t, { companyId: Number(company.ID), rows: [{ sku: "SKU-006", price: 50, quantity: 2 }] });
    const deal = await waitFor(async () => {
      const d = await t.b24<Rec>("crm.deal.get", { id: dealId });
      return d.ORIGIN_ID ? d : undefined;
    }, { timeoutMs: 45_000, what: "the deal's 1C order" });
    await waitQuiet(t);
    const same = (await t.onecRecords(COUNTERPARTY_SET)).filter((c) => c.ИНН === "7705551234" || c.Description === "ООО Встречное");
    expect(same.map((c) => c.Ref_Key)).toEqual([counterparty.Ref_Key]);
    expect((await onecOrder(t, String(deal.ORIGIN_ID))).Контрагент_Key).toBe(counterparty.Ref_Key);
  } finally {
    await t.b24Admin("faults", { method: "DELETE" });
  }
});

describe("markers prove themselves", () => {
  it("a manager's copy of an order, carrying its deal's marker, becomes a deal of its own; the original pair stays", async () => {
    const { dealId, ref } = await syncedDeal(t);
    const original = await onecOrder(t, ref);
    const copy = await createInOnec(ORDER_SET, {
      Контрагент_Key: original.Контрагент_Key,
      Партнер_Key: original.Партнер_Key,
      НомерПоДаннымКлиента: original.НомерПоДаннымКлиента,
      Статус: "НеСогласован",
      Комментарий: "Копия заказа",
      Товары: (original.Товары as Rec[]).map(({ Ref_Key: _r, ...row }) => row),
    });
    const deal = await waitFor(async () => (await t.b24<Rec[]>("crm.deal.list", { filter: { ORIGINATOR_ID: "1C", ORIGIN_ID: copy.Ref_Key } }))[0], {
      timeoutMs: 45_000,
      what: "a deal for the copied order",
    });
    expect(deal.TITLE).toBe("Копия заказа");
    await waitQuiet(t);
    expect((await mappingOf(t, "deal", dealId))[0]?.target_id).toBe(ref);
    expect((await t.b24<Rec>("crm.deal.get", { id: dealId })).ORIGIN_ID).toBe(ref);
    expect((await onecOrder(t, ref)).Комментарий).toBe(original.Комментарий);
  });

  it("a marker planted on a 1C order is neither overwritten nor paired: the deal gets an order of its own", async () => {
    const { dealId: last } = await createDeal(t, { rows: [{ sku: "SKU-003", price: 10, quantity: 1 }] });
    const next = String(Number(last) + 1);
    const { order: planted } = await onecBornOrder("ООО Подложное");
    await editInOnec(t, ORDER_SET, String(planted.Ref_Key), { НомерПоДаннымКлиента: `B24-D-${next}` });
    const before = await onecOrder(t, String(planted.Ref_Key));
    const { dealId } = await createDeal(t, { rows: [{ sku: "SKU-004", price: 20, quantity: 3 }] });
    expect(dealId).toBe(next);
    const deal = await waitFor(async () => {
      const d = await t.b24<Rec>("crm.deal.get", { id: dealId });
      return d.ORIGIN_ID ? d : undefined;
    }, { timeoutMs: 45_000, what: "the deal's own 1C order" });
    await waitQuiet(t);
    expect(deal.ORIGIN_ID).not.toBe(planted.Ref_Key);
    const after = await onecOrder(t, String(planted.Ref_Key));
    expect({ Комментарий: after.Комментарий, Товары: after.Товары, DataVersion: after.DataVersion }).toEqual({ Комментарий: before.Комментарий, Товары: before.Товары, DataVersion: before.DataVersion });
  });
});

it("keeps its marker where people don't write, and moves one an earlier version left in Комментарий", async () => {
  const { companyId, ref } = await syncedDeal(t);
  const counterpartyRef = String((await onecOrder(t, ref)).Контрагент_Key);
  const counterparty = async () => t.onecAdmin<Rec>(`records/${encodeURIComponent(COUNTERPARTY_SET)}/${counterpartyRef}`);
  const marker = `concord:bitrix24:company:${companyId}`;
  expect(markerOf(await counterparty())).toBe(marker);
  expect((await counterparty()).Комментарий).toBe("");

  // As an earlier Concord left it: the mark in the comment, no attribute.
  await editInOnec(t, COUNTERPARTY_SET, counterpartyRef, { Комментарий: marker, ДополнительныеРеквизиты: [] });
  await waitQuiet(t);
  const emails = (await t.b24<Rec>("crm.company.get", { id: companyId })).EMAIL as Rec[];
  await t.b24("crm.company.update", { id: companyId, fields: { EMAIL: [{ ID: emails[0]?.ID, VALUE: "new@buyer.ru", VALUE_TYPE: "WORK" }] } });
  const moved = await waitFor(async () => {
    const c = await counterparty();
    return markerOf(c) === marker ? c : undefined;
  }, { timeoutMs: 30_000, what: "the marker moved to the attribute" });
  expect(moved.Комментарий).toBe("");
});

it("a forged delete event of a live deal deletes nothing", async () => {
  const { dealId, ref } = await syncedDeal(t);
  const since = new Date();
  const forged = new URLSearchParams({ event: "ONCRMDEALDELETE", "data[FIELDS][ID]": dealId, ts: String(Math.floor(Date.now() / 1000)), "auth[application_token]": t.config.secrets.b24ApplicationToken });
  const response = await fetch(`http://127.0.0.1:${t.config.ports.ingress}/webhooks/bitrix24`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: forged });
  expect(response.status).toBe(202);
  await waitFor(async () => {
    const rows = await t.sql<Rec[]>`select 1 from exchange_log where record_id = ${dealId} and stage = 'resolver' and detail like 'delete not confirmed%' and at >= ${since}`;
    return rows.length > 0 ? true : undefined;
  }, { timeoutMs: 30_000, what: "the resolver to look before believing the delete" });
  await waitQuiet(t);
  expect((await onecOrder(t, ref)).DeletionMark).toBe(false);
  expect((await mappingOf(t, "deal", dealId))[0]).toMatchObject({ state: "confirmed", deleted_at: null });
});

describe("undeletes", () => {
  it("a deal restored from the recycle bin revives its pair: the deletion mark goes and later edits reach 1C", async () => {
    const { dealId, ref } = await syncedDeal(t);
    await t.b24("crm.deal.delete", { id: dealId });
    await waitFor(async () => ((await onecOrder(t, ref)).DeletionMark === true ? true : undefined), { timeoutMs: 30_000, what: "the 1C order to be marked for deletion" });
    await waitQuiet(t);

    await t.b24Admin(`recyclebin/deal/${dealId}/restore`, { method: "POST" });
    await waitFor(async () => ((await onecOrder(t, ref)).DeletionMark === false ? true : undefined), { timeoutMs: 30_000, what: "the deletion mark to be removed" });
    expect((await mappingOf(t, "deal", dealId))[0]).toMatchObject({ state: "confirmed", deleted_at: null });
    await t.b24("crm.deal.update", { id: dealId, fields: { TITLE: "Вернули из корзины" } });
    await waitFor(async () => ((await onecOrder(t, ref)).Комментарий === "Вернули из корзины" ? true : undefined), { timeoutMs: 30_000, what: "a later edit to reach 1C" });
    expect(await ordersOfDeal(t, dealId)).toHaveLength(1);
  });

  it("a deletion mark a 1C manager removes revives the pair: the deal leaves LOSE and later edits reach 1C", async () => {
    const { dealId, ref } = await syncedDeal(t, { stage: "EXECUTING" });
    await editInOnec(t, ORDER_SET, ref, { DeletionMark: true });
    await waitFor(async () => ((await t.b24<Rec>("crm.deal.get", { id: dealId })).STAGE_ID === "LOSE" ? true : undefined), { timeoutMs: 30_000, what: "the deal to be lost" });
    await waitQuiet(t);

    await editInOnec(t, ORDER_SET, ref, { DeletionMark: false });
    await waitFor(async () => ((await t.b24<Rec>("crm.deal.get", { id: dealId })).STAGE_ID === "EXECUTING" ? true : undefined), { timeoutMs: 30_000, what: "the deal back at the order's stage" });
    await waitQuiet(t);
    await t.b24("crm.deal.update", { id: dealId, fields: { TITLE: "Снова в работе" } });
    await waitFor(async () => ((await onecOrder(t, ref)).Комментарий === "Снова в работе" ? true : undefined), { timeoutMs: 30_000, what: "a later edit to reach 1C" });
  });
});
