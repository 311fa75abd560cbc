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
