import { headers } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { Headers, OnecOrderUpsertSchema, SchemaVersions, commandId, type OnecOrderUpsert } from "@concord/contracts";
import { waitFor } from "@concord/testkit";
import { COUNTERPARTY_SET, ORDER_SET, editInOnec, onecOrder, startTestSystem, syncedDeal, waitQuiet, type TestSystem } from "./harness";

jest.setTimeout(180_000);

// Issue 9: writes that hold on a 1C shaped like a real company's — columns, rows and numbers
// Concord does not own, values 1C stores differently, managers racing Concord, UT 11's posting.

type Rec = Record<string, unknown>;
let t: TestSystem;
beforeAll(async () => {
  t = await startTestSystem();
}, 120_000);
afterAll(async () => {
  await t?.stop();
}, 60_000);

const counterparty = (ref: string) => t.onecAdmin<Rec>(`records/${encodeURIComponent(COUNTERPARTY_SET)}/${ref}`);
const dealOf = (orderRef: string) =>
  waitFor(async () => (await t.b24<Rec[]>("crm.deal.list", { filter: { ORIGINATOR_ID: "1C", ORIGIN_ID: orderRef }, select: ["*"] }))[0], {
    timeoutMs: 45_000,
    what: `the deal of 1C order ${orderRef}`,
  });
const companyOf = (counterpartyRef: string) =>
  waitFor(async () => (await t.b24<Rec[]>("crm.company.list", { filter: { ORIGIN_ID: counterpartyRef }, select: ["*"] }))[0], {
    timeoutMs: 45_000,
    what: `the company of counterparty ${counterpartyRef}`,
  });
const setsWrites = async () => (await t.onecAdmin<{ sets: Record<string, { writes: number }> }>("stats")).sets;
const rowsWithout = (order: Rec, ...drop: string[]) => (order.Товары as Rec[]).map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !drop.includes(k))));

/** Moscow wall time of an instant, as 1C writes dates (the sandbox base runs on Moscow time). */
const moscow = (at: Date) => new Date(at.getTime() + 3 * 3_600_000).toISOString().slice(0, 19);

describe("what Concord does not own stays as the 1C manager left it", () => {
  let seed: { counterparties: Array<{ ref: string; description: string }>; orders: Array<{ ref: string; number: string; clientNumber: string }> };
  beforeAll(async () => {
    seed = await t.onecAdmin("seed/field", { method: "POST" });
  });

  it("a CRM title edit of a 1C-born order changes Комментарий only: rows, their columns and the customer's own number stay", async () => {
    const { ref, clientNumber } = seed.orders[0]!;
    const deal = await dealOf(ref);
    await waitQuiet(t);
    const before = await onecOrder(t, ref);
    expect(before.НомерПоДаннымКлиента).toBe(clientNumber);
    const rowsBefore = before.Товары as Rec[];
    expect(rowsBefore.some((r) => r.Отменено === true)).toBe(true);

    await t.b24("crm.deal.update", { id: deal.ID, fields: { TITLE: "Заказ клиента, уточнено в CRM" } });
    const after = await waitFor(async () => {
      const o = await onecOrder(t, ref);
      return o.Комментарий === "Заказ клиента, уточнено в CRM" ? o : undefined;
    }, { timeoutMs: 30_000, what: "the title in 1C" });
    await waitQuiet(t);
    expect(after.НомерПоДаннымКлиента).toBe(clientNumber);
    expect(after.Товары).toEqual(rowsBefore);
    expect(after.СуммаДокумента).toBe(before.СуммаДокумента);
  });

  it("a CRM quantity edit changes the owned columns of that row only, matched by product, not by LineNumber", async () => {
    const { ref } = seed.orders[1]!;
    const deal = await dealOf(ref);
    await waitQuiet(t);
    const before = await onecOrder(t, ref);
    const rows = await t.b24<Rec[]>("crm.deal.productrows.get", { id: deal.ID });
    expect(rows.length).toBe((before.Товары as Rec[]).length);
    await t.b24("crm.deal.productrows.set", {
      id: deal.ID,
      rows: rows.map((r, i) => ({ PRODUCT_ID: r.PRODUCT_ID, PRICE: r.PRICE, QUANTITY: i === 0 ? Number(r.QUANTITY) + 5 : r.QUANTITY })),
    });
    const first = (before.Товары as Rec[])[0]!;
    const after = await waitFor(async () => {
      const o = await onecOrder(t, ref);
      return (o.Товары as Rec[])[0]?.Количество === Number(first.Количество) + 5 ? o : undefined;
    }, { timeoutMs: 30_000, what: "the new quantity in 1C" });
    await waitQuiet(t);
    const [changed, ...others] = after.Товары as Rec[];
    expect(changed).toMatchObject({ Номенклатура_Key: first.Номенклатура_Key, Характеристика_Key: first.Характеристика_Key, Склад_Key: first.Склад_Key, СтавкаНДС: first.СтавкаНДС, Отменено: first.Отменено });
    expect(others).toEqual((before.Товары as Rec[]).slice(1));
    expect(after.НомерПоДаннымКлиента).toBe(before.НомерПоДаннымКлиента);
  });

  it("a CRM e-mail edit changes the e-mail row only: the address, the sole trader's legal form and Комментарий stay; a new deal for it resets nothing", async () => {
    const { ref } = seed.counterparties[0]!;
    const before = await counterparty(ref);
    expect(before.ЮрФизЛицо).toBe("ИндивидуальныйПредприниматель");
    const company = await companyOf(ref);
    await waitQuiet(t);
    const emails = (await t.b24<Rec>("crm.company.get", { id: company.ID })).EMAIL as Rec[];
    await t.b24("crm.company.update", { id: company.ID, fields: { EMAIL: [{ ID: emails[0]?.ID, VALUE: "zakaz@ip-ivanov.ru", VALUE_TYPE: "WORK" }] } });
    const after = await waitFor(async () => {
      const c = await counterparty(ref);
      return (c.КонтактнаяИнформация as Rec[]).some((r) => r.Представление === "zakaz@ip-ivanov.ru") ? c : undefined;
    }, { timeoutMs: 30_000, what: "the new e-mail in 1C" });
    const kept = (c: Rec) => (c.КонтактнаяИнформация as Rec[]).filter((r) => r.Тип !== "АдресЭлектроннойПочты").map(({ LineNumber: _n, ...r }) => r);
    expect(kept(after)).toEqual(kept(before));
    expect(after).toMatchObject({ ЮрФизЛицо: "ИндивидуальныйПредприниматель", Комментарий: before.Комментарий, НаименованиеПолное: before.НаименованиеПолное });

    // A new CRM deal of this company re-sends the customer: nothing of the above is reset.
    const product = await t.b24<number>("crm.product.add", { fields: { NAME: "Бумага", XML_ID: "SKU-001", PRICE: 300 } });
    const dealId = await t.b24<number>("crm.deal.add", { fields: { TITLE: "Новый заказ ИП", COMPANY_ID: company.ID, STAGE_ID: "NEW" } });
    await t.b24("crm.deal.productrows.set", { id: dealId, rows: [{ PRODUCT_ID: product, PRICE: 300, QUANTITY: 1 }] });
    await waitFor(async () => ((await t.b24<Rec>("crm.deal.get", { id: dealId })).ORIGIN_ID ? true : undefined), { timeoutMs: 30_000, what: "the new deal's order" });
    await waitQuiet(t);
    const final = await counterparty(ref);
    expect(kept(final)).toEqual(kept(before));
    expect(final.ЮрФизЛицо).toBe("ИндивидуальныйПредприниматель");
  });
});

it("writes a company name 1C cuts to 100 characters once, and never again while nothing changes", async () => {
  const title = `ООО «${"Очень длинное наименование компании ".repeat(4)}»`.slice(0, 130);
  expect([...title].length).toBe(130);
  const writesBefore = (await setsWrites())[COUNTERPARTY_SET]?.writes ?? 0;
  const company = await t.b24<number>("crm.company.add", { fields: { TITLE: title, PHONE: [{ VALUE: "+7 900 000-00-01", VALUE_TYPE: "WORK" }] } });
  const { ref } = await syncedDeal(t, { companyId: company });
  const order = await onecOrder(t, ref);
  const stored = await counterparty(String(order.Контрагент_Key));
  expect(stored.Description).toBe([...title].slice(0, 100).join(""));
  await waitQuiet(t, 4_000);
  const afterCreate = (await setsWrites())[COUNTERPARTY_SET]?.writes ?? 0;
  expect(afterCreate - writesBefore).toBe(1); // the create: 1C's answer is the name's echo reference

  // Another CRM edit of the company brings the name along: still no write for it.
  const phones = (await t.b24<Rec>("crm.company.get", { id: company })).PHONE as Rec[];
  await t.b24("crm.company.update", { id: company, fields: { PHONE: [{ ID: phones[0]?.ID, VALUE: "+7 900 000-00-02", VALUE_TYPE: "WORK" }] } });
  await waitQuiet(t, 4_000);
  const afterEdit = (await setsWrites())[COUNTERPARTY_SET]?.writes ?? 0;
  expect(afterEdit - afterCreate).toBe(1); // the phone row; the name is not sent again
  expect((await counterparty(String(order.Контрагент_Key))).Description).toBe(stored.Description);
});

it("does not write a decision made on an older read over a manager's newer status: it decides again", async () => {
  const { dealId, companyId, ref } = await syncedDeal(t, { stage: "EXECUTING" });
  const read = await onecOrder(t, ref);
  // A command decided on this read (the CRM still owns the status before posting), reaching the
  // writer late — after a writer outage or behind a backlog — when 1C has moved on:
  await editInOnec(t, ORDER_SET, ref, {}, "Post"); // from here 1C owns the status
  await editInOnec(t, ORDER_SET, ref, { Статус: "КОтгрузке" });
  await waitQuiet(t);
  const now = new Date().toISOString();
  const late: OnecOrderUpsert = {
    v: 1,
    type: "onec.order.upsert",
    source: { system: "bitrix24", entity: "deal", id: dealId },
    sourceVersion: { modifiedAt: now, fetchedAt: now },
    issuedAt: now,
    customer: { system: "bitrix24", entity: "company", id: companyId },
    order: { status: String(read.Статус), currency: "RUB", amount: "1600.00", comment: "Решение по старому чтению" },
    lines: [
      { lineNumber: 1, sku: "SKU-001", name: "Товар SKU-001", quantity: 2, price: "500.00", sum: "1000.00" },
      { lineNumber: 2, sku: "SKU-002", name: "Товар SKU-002", quantity: 1, price: "600.00", sum: "600.00" },
    ],
    write: ["status", "title"],
    decidedAgainst: { dataVersion: String(read.DataVersion) },
    contentHash: "decided-on-an-older-read",
  };
  const h = headers();
  h.set(Headers.schema, SchemaVersions.onecCommand);
  await jetstream(t.nc).publish(t.subjects.command("onec", "order"), JSON.stringify(OnecOrderUpsertSchema.parse(late)), { msgID: commandId(late), headers: h });

  const [outcome] = await waitFor(async () => {
    const rows = await t.sql<Array<{ detail: string }>>`select detail from exchange_log where record_id = ${dealId} and stage = 'onec-writer' and result = 'stale' and at >= ${new Date(now)}`;
    return rows.length > 0 ? rows : undefined;
  }, { timeoutMs: 30_000, what: "the writer's stale outcome" });
  expect(outcome?.detail).toContain("1C changed since the decision");
  await waitQuiet(t);
  const order = await onecOrder(t, ref);
  expect(order).toMatchObject({ Статус: "КОтгрузке", Комментарий: read.Комментарий });
  // Decided again on the current state: the manager's status reaches the deal.
  expect((await t.b24<Rec>("crm.deal.get", { id: dealId })).STAGE_ID).toBe("FINAL_INVOICE");
});

it("creates orders UT 11 posts: its defaults, the deal's discounts and VAT in the rows, the total equal to the deal's, dated in the base's zone", async () => {
  const company = await t.b24<number>("crm.company.add", { fields: { TITLE: "ООО Скидка" } });
  const discounted = await t.b24<number>("crm.product.add", { fields: { NAME: "Степлер", XML_ID: "SKU-003", PRICE: 1000 } });
  const plain = await t.b24<number>("crm.product.add", { fields: { NAME: "Папка", XML_ID: "SKU-004", PRICE: 100 } });
  const dealId = await t.b24<number>("crm.deal.add", { fields: { TITLE: "Со скидкой и НДС", COMPANY_ID: company, STAGE_ID: "EXECUTING" } });
  await t.b24("crm.deal.productrows.set", {
    id: dealId,
    rows: [
      { PRODUCT_ID: discounted, PRICE: 900, QUANTITY: 2, DISCOUNT_TYPE_ID: 2, DISCOUNT_RATE: 10, TAX_RATE: 20, TAX_INCLUDED: "Y" },
      { PRODUCT_ID: plain, PRICE: 100, QUANTITY: 3 },
    ],
  });
  const createdAround = new Date();
  const deal = await waitFor(async () => {
    const d = await t.b24<Rec>("crm.deal.get", { id: dealId });
    return d.ORIGIN_ID ? d : undefined;
  }, { timeoutMs: 30_000, what: "the deal's 1C order" });
  const order = await onecOrder(t, String(deal.ORIGIN_ID));

  expect(order.СуммаДокумента).toBe(Number(deal.OPPORTUNITY));
  expect(order).toMatchObject({
    Организация_Key: "859f72cd-9fac-5b73-8b10-27cda8ec1fbf",
    Соглашение_Key: "c3924f00-9b73-5132-a399-665696378d38",
    Склад_Key: "2113acf2-6013-5e41-a269-b35f45a216bc",
    Валюта_Key: "152d5c2a-0a27-5375-845a-7e9612a2aec1",
    ХозяйственнаяОперация: "РеализацияКлиенту",
    ЦенаВключаетНДС: true,
  });
  expect(rowsWithout(order, "Ref_Key", "Номенклатура_Key", "Характеристика_Key", "Упаковка_Key", "КоличествоУпаковок", "ВидЦены_Key", "Склад_Key", "ДатаОтгрузки", "Отменено")).toEqual([
    { LineNumber: "1", Количество: 2, Цена: 1000, ПроцентРучнойСкидки: 10, СуммаРучнойСкидки: 200, Сумма: 1800, СтавкаНДС: "НДС20", СуммаНДС: 300, СуммаСНДС: 1800 },
    { LineNumber: "2", Количество: 3, Цена: 100, ПроцентРучнойСкидки: 0, СуммаРучнойСкидки: 0, Сумма: 300, СтавкаНДС: "НДС20", СуммаНДС: 50, СуммаСНДС: 300 },
  ]);
  // 1C reads dates as the base's wall time (Moscow here), whatever the zone of Concord's host.
  const drift = Math.abs(Date.parse(`${String(order.Date)}Z`) - Date.parse(`${moscow(createdAround)}Z`));
  expect(drift).toBeLessThan(120_000);
  // UT 11's posting check: organisation, agreement, currency, warehouse, operation, VAT, row sums.
  await editInOnec(t, ORDER_SET, String(deal.ORIGIN_ID), {}, "Post");
  expect((await onecOrder(t, String(deal.ORIGIN_ID))).Posted).toBe(true);
});
