import { waitFor } from "@concord/testkit";
import { COUNTERPARTY_SET, ORDER_SET, startTestSystem, waitQuiet, type TestSystem, createInOnec as createOnecRecord, managerOrder } from "./harness";

jest.setTimeout(120_000);

let t: TestSystem;
beforeAll(async () => {
  t = await startTestSystem();
}, 120_000);
afterAll(async () => {
  await t?.stop();
}, 60_000);

type Rec = Record<string, unknown>;
const createInOnec = (set: string, body: Rec) => createOnecRecord(t, set, body);
const list = (method: string, filter: Rec) => t.b24<Rec[]>(method, { filter, select: ["*", "UF_*"] });

it("turns two orders created in 1C for a new counterparty into two deals, one company and one CRM product", async () => {
  const products = await t.onecRecords("Catalog_Номенклатура");
  const product = products.find((p) => p.Артикул === "SKU-007") as Rec;
  const partner = await createInOnec("Catalog_Партнеры", { Description: "ООО Из 1С", Клиент: true, ЮрФизЛицо: "Компания" });
  const counterparty = await createInOnec(COUNTERPARTY_SET, { Description: "ООО Из 1С", ИНН: "7701234567", КПП: "770101001", ЮрФизЛицо: "ЮрЛицо", Партнер_Key: partner.Ref_Key });
  const order = (comment: string, quantity: number) => managerOrder({ counterparty: counterparty.Ref_Key, partner: partner.Ref_Key }, comment, [{ product: product.Ref_Key, quantity, price: 250 }]);
  const [first, second] = await Promise.all([createInOnec(ORDER_SET, order("Заказ из 1С №1", 2)), createInOnec(ORDER_SET, order("Заказ из 1С №2", 3))]);

  const deals = await waitFor(async () => {
    const found = await list("crm.deal.list", { ORIGINATOR_ID: "1C" });
    const ours = found.filter((d) => d.ORIGIN_ID === first.Ref_Key || d.ORIGIN_ID === second.Ref_Key);
    return ours.length === 2 ? ours : undefined;
  }, { timeoutMs: 45_000, what: "two deals from the 1C orders" });
  await waitQuiet(t);

  const companies = await list("crm.company.list", { ORIGIN_ID: counterparty.Ref_Key });
  expect(companies).toHaveLength(1);
  const crmProducts = await t.b24<Rec[]>("crm.product.list", { filter: { XML_ID: "SKU-007" } });
  expect(crmProducts).toHaveLength(1);
  const requisites = await t.b24<Rec[]>("crm.requisite.list", { filter: { ENTITY_TYPE_ID: 4, ENTITY_ID: companies[0]?.ID } });
  expect(requisites.map((r) => [r.RQ_INN, r.RQ_KPP])).toEqual([["7701234567", "770101001"]]);

  for (const [deal, source, quantity] of [
    [deals.find((d) => d.ORIGIN_ID === first.Ref_Key), first, 2],
    [deals.find((d) => d.ORIGIN_ID === second.Ref_Key), second, 3],
  ] as const) {
    expect(deal).toMatchObject({ TITLE: source.Комментарий, STAGE_ID: "NEW", COMPANY_ID: companies[0]?.ID, UF_CRM_ONEC_NUMBER: source.Number });
    const rows = await t.b24<Rec[]>("crm.deal.productrows.get", { id: deal?.ID });
    expect(rows.map((r) => [String(r.PRODUCT_ID), Number(r.QUANTITY), Number(r.PRICE)])).toEqual([[String(crmProducts[0]?.ID), quantity, 250]]);
  }
  // Nothing came back the other way: still exactly the two 1C orders, each linked once.
  expect((await t.onecRecords(ORDER_SET)).length).toBe(2);
  const pairs = await t.sql<Array<{ source_entity: string; state: string }>>`select source_entity, state from id_mapping where source_system = 'onec' order by source_entity`;
  expect(pairs).toEqual([
    { source_entity: "counterparty", state: "confirmed" },
    { source_entity: "order", state: "confirmed" },
    { source_entity: "order", state: "confirmed" },
    { source_entity: "product", state: "confirmed" },
  ]);
});

it("updates the CRM product when its 1C master changes", async () => {
  const product = (await t.onecRecords("Catalog_Номенклатура")).find((p) => p.Артикул === "SKU-007") as Rec;
  await t.onecAdmin(`records/${encodeURIComponent("Catalog_Номенклатура")}/${String(product.Ref_Key)}`, {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ Description: "Товар 7 (новое имя)" }),
  });
  await waitFor(async () => {
    const found = await t.b24<Rec[]>("crm.product.list", { filter: { XML_ID: "SKU-007" } });
    return found.length === 1 && found[0]?.NAME === "Товар 7 (новое имя)" ? true : undefined;
  }, { timeoutMs: 30_000, what: "the new name on the CRM product" });
});

it("makes the deal of a 1C order whose mirror was claimed but never commanded (a resolver killed between the two)", async () => {
  const product = (await t.onecRecords("Catalog_Номенклатура")).find((p) => p.Артикул === "SKU-006") as Rec;
  const partner = await createInOnec("Catalog_Партнеры", { Description: "ООО Прерванное зеркало", Клиент: true, ЮрФизЛицо: "Компания" });
  const counterparty = await createInOnec(COUNTERPARTY_SET, { Description: "ООО Прерванное зеркало", ЮрФизЛицо: "ЮрЛицо", Партнер_Key: partner.Ref_Key });
  await waitQuiet(t);
  // The order's notification is lost and its mirror's claim is there, as a resolver killed right
  // after claiming leaves it: nothing was commanded.
  await t.onecAdmin("faults", { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ notifications: { dropRate: 1 }, seed: 9 }) });
  let order: Rec;
  try {
    order = await createInOnec(ORDER_SET, managerOrder({ counterparty: counterparty.Ref_Key, partner: partner.Ref_Key }, "Заказ с прерванным зеркалом", [{ product: product.Ref_Key, quantity: 2, price: 150 }]));
    await t.sql`insert into id_mapping (source_system, source_entity, source_id, target_system, target_entity, created_by) values ('onec', 'order', ${String(order.Ref_Key)}, 'bitrix24', 'deal', 'flow')`;
  } finally {
    await t.onecAdmin("faults", { method: "DELETE" });
  }
  // The next change of the order is decided again: the deal is made, once.
  await t.onecAdmin(`records/${encodeURIComponent(ORDER_SET)}/${String(order.Ref_Key)}`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ Комментарий: "Заказ с прерванным зеркалом (правка)" }) });
  const deals = await waitFor(async () => {
    const found = await list("crm.deal.list", { ORIGINATOR_ID: "1C", ORIGIN_ID: order.Ref_Key });
    return found.length > 0 ? found : undefined;
  }, { timeoutMs: 60_000, what: "the deal of the order whose mirror was cut short" });
  await waitQuiet(t);
  expect(await list("crm.deal.list", { ORIGINATOR_ID: "1C", ORIGIN_ID: order.Ref_Key })).toHaveLength(1);
  const [pair] = await t.sql<Array<{ state: string; target_id: string | null }>>`select state, target_id from id_mapping where source_id = ${String(order.Ref_Key)}`;
  expect(pair).toEqual({ state: "confirmed", target_id: String(deals[0]?.ID) });
});
