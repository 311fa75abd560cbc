import { EMPTY_GUID } from "./guid";
import { SEED_REFS, productRefForArticle } from "./store";
import { odata, startSandbox, type RunningSandbox } from "./testing";

/** UT 11 strictness: totals with VAT, the posting check, the manager's form, the base's time zone, field data. */

const ORDERS = "Document_ЗаказКлиента";
const SKU1 = productRefForArticle("SKU-001");
const SKU2 = productRefForArticle("SKU-002");
const FAR_WAREHOUSE = "7b0c5a52-1d7e-4d8c-9a1f-2e3d4c5b6a70";

let sb: RunningSandbox;

beforeAll(async () => {
  sb = await startSandbox();
});
afterAll(async () => {
  await sb.stop();
});
beforeEach(async () => {
  await fetch(`${sb.origin}/admin/reset`, { method: "POST" });
});

type Body = Record<string, unknown> & { Товары: Array<Record<string, unknown>> };

async function parties(): Promise<{ Партнер_Key: string; Контрагент_Key: string }> {
  const partner = await odata(sb.root, "POST", "Catalog_Партнеры?$format=json", { Description: "ООО Ромашка", Клиент: true });
  const counterparty = await odata(sb.root, "POST", "Catalog_Контрагенты?$format=json", { Description: "ООО Ромашка", Партнер_Key: partner.json.Ref_Key });
  return { Партнер_Key: partner.json.Ref_Key, Контрагент_Key: counterparty.json.Ref_Key };
}

/** Posts under UT 11's check: line 2 has a 10 % manual discount and 10 % VAT; VAT on top. */
async function validOrder(): Promise<Body> {
  return {
    ...(await parties()),
    Организация_Key: SEED_REFS.organisation,
    Соглашение_Key: SEED_REFS.agreement,
    Валюта_Key: SEED_REFS.currency,
    Склад_Key: SEED_REFS.warehouse,
    Товары: [
      { LineNumber: 1, Номенклатура_Key: SKU1, Количество: 2, Цена: 100, Сумма: 200, СтавкаНДС: "НДС20", СуммаНДС: 40, СуммаСНДС: 240 },
      {
        LineNumber: 2,
        Номенклатура_Key: SKU2,
        Количество: 3,
        Цена: 50,
        ПроцентРучнойСкидки: 10,
        СуммаРучнойСкидки: 15,
        Сумма: 135,
        СтавкаНДС: "НДС10",
        СуммаНДС: 13.5,
        СуммаСНДС: 148.5,
      },
    ],
  };
}

async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(`${sb.origin}/admin/${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text === "" ? undefined : JSON.parse(text) };
}

const post = (ref: string, operational = false) => odata(sb.root, "POST", `${ORDERS}(guid'${ref}')/Post?PostingModeOperational=${operational}&$format=json`);

describe("totals", () => {
  test("СуммаДокумента adds VAT on top of the rows' sums, cancelled rows left out", async () => {
    const body = await validOrder();
    body.Товары.push({ LineNumber: 3, Номенклатура_Key: SKU1, Количество: 1, Цена: 999, Сумма: 999, СтавкаНДС: "НДС20", СуммаНДС: 199.8, Отменено: true });
    const r = await odata(sb.root, "POST", `${ORDERS}?$format=json`, body);
    expect(r.json.СуммаДокумента).toBe(388.5);
    expect(r.json.Товары[1]).toMatchObject({ ПроцентРучнойСкидки: 10, СуммаРучнойСкидки: 15 });
  });

  test("with prices including VAT the total is the rows' sums", async () => {
    const body = await validOrder();
    body.ЦенаВключаетНДС = true;
    body.Товары[0]!.СуммаНДС = 33.33;
    body.Товары[1]!.СуммаНДС = 12.27;
    const r = await odata(sb.root, "POST", `${ORDERS}?$format=json`, body);
    expect(r.json.СуммаДокумента).toBe(335);
    expect((await post(r.json.Ref_Key)).status).toBe(200);
  });
});

describe("posting check as strict as UT 11's", () => {
  test("a complete order posts", async () => {
    const r = await odata(sb.root, "POST", `${ORDERS}?$format=json`, await validOrder());
    expect((await post(r.json.Ref_Key)).status).toBe(200);
  });

  test("the warehouse may be on every row instead of the header; cancelled rows are not checked", async () => {
    const body = await validOrder();
    body.Склад_Key = EMPTY_GUID;
    for (const row of body.Товары) row.Склад_Key = FAR_WAREHOUSE;
    body.Товары.push({ LineNumber: 3, Количество: 0, Сумма: 12345, Отменено: true });
    const r = await odata(sb.root, "POST", `${ORDERS}?$format=json`, body);
    expect((await post(r.json.Ref_Key)).status).toBe(200);
  });

  test.each<[string, (b: Body) => void, string]>([
    ["no organisation", (b) => (b.Организация_Key = EMPTY_GUID), 'Не заполнено поле "Организация"'],
    ["no agreement", (b) => (b.Соглашение_Key = EMPTY_GUID), 'Не заполнено поле "Соглашение"'],
    ["no currency", (b) => (b.Валюта_Key = EMPTY_GUID), 'Не заполнено поле "Валюта"'],
    ["no business operation", (b) => (b.ХозяйственнаяОперация = ""), 'Не заполнено поле "Хозяйственная операция"'],
    [
      "no warehouse on the header nor on row 2",
      (b) => {
        b.Склад_Key = EMPTY_GUID;
        b.Товары[0]!.Склад_Key = FAR_WAREHOUSE;
      },
      'Не заполнена колонка "Склад" в строке 2 списка "Товары"',
    ],
    ["a row without a product", (b) => delete b.Товары[1]!.Номенклатура_Key, 'Не заполнена колонка "Номенклатура" в строке 2 списка "Товары"'],
    ["a row with zero quantity", (b) => Object.assign(b.Товары[0]!, { Количество: 0, Сумма: 0, СуммаНДС: 0 }), 'Не заполнена колонка "Количество" в строке 1 списка "Товары"'],
    ["a row without a VAT rate", (b) => (b.Товары[1]!.СтавкаНДС = ""), 'Не заполнена колонка "Ставка НДС" в строке 2 списка "Товары"'],
    ["a sum that ignores the manual discount", (b) => Object.assign(b.Товары[1]!, { Сумма: 150, СуммаНДС: 15 }), 'В строке 2 списка "Товары" неверно рассчитана сумма'],
    ["a sum off by two kopecks", (b) => (b.Товары[0]!.Сумма = 200.02), 'В строке 1 списка "Товары" неверно рассчитана сумма'],
    ["VAT at the wrong rate", (b) => (b.Товары[0]!.СуммаНДС = 20), 'В строке 1 списка "Товары" неверно рассчитана сумма НДС'],
    ["VAT on top where prices include it", (b) => (b.ЦенаВключаетНДС = true), 'В строке 1 списка "Товары" неверно рассчитана сумма НДС'],
  ])("%s → 500 code -1, not posted", async (_name, change, text) => {
    const body = await validOrder();
    change(body);
    const order = await odata(sb.root, "POST", `${ORDERS}?$format=json`, body);
    const r = await post(order.json.Ref_Key);
    expect([r.status, r.json["odata.error"].code]).toEqual([500, "-1"]);
    expect(r.json["odata.error"].message.value).toBe(
      `Ошибка при вызове метода контекста (Записать): Операция не выполнена! Документ ${order.json.Number} не проведен. ${text}`,
    );
    const after = await odata(sb.root, "GET", `${ORDERS}(guid'${order.json.Ref_Key}')?$format=json`);
    expect(after.json).toMatchObject({ Posted: false, DataVersion: "AAAAAAAAAAA=" });
  });

  test("an amount within one kopeck passes", async () => {
    const body = await validOrder();
    Object.assign(body.Товары[0]!, { Сумма: 200.01, СуммаНДС: 40.01 });
    const r = await odata(sb.root, "POST", `${ORDERS}?$format=json`, body);
    expect((await post(r.json.Ref_Key)).status).toBe(200);
  });
});

describe("the manager's form fills defaults; a program gets nothing", () => {
  const bare = async (): Promise<Body> => ({
    ...(await parties()),
    Товары: [
      { LineNumber: 1, Номенклатура_Key: SKU1, Количество: 2, Цена: 100, Сумма: 200 },
      { LineNumber: 2, Номенклатура_Key: SKU2, Количество: 1, Цена: 50, Сумма: 50, СтавкаНДС: "БезНДС", Склад_Key: FAR_WAREHOUSE },
    ],
  });

  test("admin create fills the header references and a row's empty VAT, keeps explicit values, and posts", async () => {
    const r = await admin("POST", `records/${encodeURIComponent(ORDERS)}`, { ...(await bare()), Валюта_Key: FAR_WAREHOUSE, ЦенаВключаетНДС: false });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({
      Организация_Key: SEED_REFS.organisation,
      Соглашение_Key: SEED_REFS.agreement,
      Валюта_Key: FAR_WAREHOUSE,
      Склад_Key: SEED_REFS.warehouse,
      ХозяйственнаяОперация: "РеализацияКлиенту",
      СуммаДокумента: 290,
    });
    expect(r.json.Товары[0]).toMatchObject({ СтавкаНДС: "НДС20", СуммаНДС: 40, СуммаСНДС: 240 });
    expect(r.json.Товары[1]).toMatchObject({ СтавкаНДС: "БезНДС", СуммаНДС: 0, Склад_Key: FAR_WAREHOUSE });
    expect((await admin("POST", `records/${encodeURIComponent(ORDERS)}/${r.json.Ref_Key}/Post`)).status).toBe(200);
  });

  test("a new order in the form takes prices including VAT from the default agreement", async () => {
    const r = await admin("POST", `records/${encodeURIComponent(ORDERS)}`, await bare());
    expect(r.json).toMatchObject({ ЦенаВключаетНДС: true, СуммаДокумента: 250 });
    expect(r.json.Товары[0]).toMatchObject({ СтавкаНДС: "НДС20", СуммаНДС: 33.33, СуммаСНДС: 200 });
  });

  test("an OData create gets nothing filled and does not post; an admin edit of it then fills the form", async () => {
    const r = await odata(sb.root, "POST", `${ORDERS}?$format=json`, await bare());
    expect(r.json).toMatchObject({ Организация_Key: EMPTY_GUID, Соглашение_Key: EMPTY_GUID, Валюта_Key: EMPTY_GUID, Склад_Key: EMPTY_GUID, СуммаДокумента: 250 });
    expect(r.json.Товары[0]).toMatchObject({ СтавкаНДС: "", СуммаНДС: 0 });
    expect((await post(r.json.Ref_Key)).json["odata.error"].message.value).toContain('Не заполнено поле "Организация"');

    const edited = await admin("PATCH", `records/${encodeURIComponent(ORDERS)}/${r.json.Ref_Key}`, { Комментарий: "проверил" });
    expect(edited.json).toMatchObject({ Организация_Key: SEED_REFS.organisation, Склад_Key: SEED_REFS.warehouse, СуммаДокумента: 290 });
    expect(edited.json.Товары[0]).toMatchObject({ СтавкаНДС: "НДС20", СуммаНДС: 40 });
    expect((await post(r.json.Ref_Key)).status).toBe(200);
  });
});

describe("field data: what a real base has and Concord does not own", () => {
  test("POST /admin/seed/field creates an entrepreneur, a long-named company and two orders that post", async () => {
    const r = await admin("POST", "seed/field");
    expect(r.status).toBe(201);
    expect(r.json.counterparties).toHaveLength(2);
    expect(r.json.orders).toHaveLength(2);

    const [sole, company] = r.json.counterparties as Array<{ ref: string; description: string }>;
    const soleRecord = (await admin("GET", `records/${encodeURIComponent("Catalog_Контрагенты")}/${sole!.ref}`)).json;
    expect(soleRecord).toMatchObject({ ЮрФизЛицо: "ИндивидуальныйПредприниматель", Description: sole!.description });
    expect(soleRecord.Партнер_Key).not.toBe(EMPTY_GUID);
    expect(soleRecord.ИНН).toMatch(/^\d{12}$/);
    expect(soleRecord.КонтактнаяИнформация.map((c: { Тип: string }) => c.Тип)).toEqual(["АдресЭлектроннойПочты", "Телефон", "Адрес"]);
    const companyRecord = (await admin("GET", `records/${encodeURIComponent("Catalog_Контрагенты")}/${company!.ref}`)).json;
    expect([...companyRecord.Description]).toHaveLength(100);
    expect([...companyRecord.НаименованиеПолное]).toHaveLength(130);
    expect(company!.description).toBe(companyRecord.Description);
    expect(companyRecord.КонтактнаяИнформация.map((c: { Тип: string }) => c.Тип)).toEqual(["Адрес"]);

    for (const { ref, number, clientNumber } of r.json.orders as Array<{ ref: string; number: string; clientNumber: string }>) {
      const order = (await odata(sb.root, "GET", `${ORDERS}(guid'${ref}')?$format=json`)).json;
      expect(order).toMatchObject({ Number: number, НомерПоДаннымКлиента: clientNumber });
      expect(clientNumber).toMatch(/^ПО-2026\/\d+$/);
      const rows = order.Товары as Array<Record<string, unknown>>;
      expect(rows.every((x) => x.Характеристика_Key !== EMPTY_GUID && x.Склад_Key !== EMPTY_GUID && x.СтавкаНДС === "НДС20")).toBe(true);
      expect(new Set(rows.map((x) => x.Склад_Key)).size).toBeGreaterThan(1);
      expect(rows.some((x) => (x.СуммаРучнойСкидки as number) > 0 && (x.ПроцентРучнойСкидки as number) > 0)).toBe(true);
      expect(rows.filter((x) => x.Отменено === true)).toHaveLength(1);
      expect((await post(ref)).status).toBe(200);
    }
    const orders = (r.json.orders as Array<{ ref: string }>).map((o) => o.ref);
    const [first, second] = await Promise.all(orders.map(async (ref) => (await odata(sb.root, "GET", `${ORDERS}(guid'${ref}')?$format=json`)).json));
    expect([first.Контрагент_Key, second.Контрагент_Key]).toEqual([sole!.ref, company!.ref]);
    expect([first.ЦенаВключаетНДС, second.ЦенаВключаетНДС]).toEqual([false, true]);

    // Written as a manager: counted (and notified) as admin writes.
    const stats = (await admin("GET", "stats")).json;
    expect(stats.sets["Catalog_Партнеры"].adminWrites).toBe(2);
    expect(stats.sets["Catalog_Контрагенты"].adminWrites).toBe(2);
    expect(stats.sets[ORDERS].adminWrites).toBe(2);

    const again = await admin("POST", "seed/field");
    expect(again.json.orders[0].ref).not.toBe(orders[0]);
    expect(again.json.orders[0].clientNumber).not.toBe(r.json.orders[0].clientNumber);
    expect(again.json.counterparties[1].description).not.toBe(company!.description);
  });
});

describe("the base's time zone", () => {
  // 22:30 UTC on 31 March is already 1 April, 01:30, in Moscow.
  const now = () => new Date("2026-03-31T22:30:00Z");

  test("new documents are dated, and operational posting checks 'today', in Europe/Moscow by default", async () => {
    const moscow = await startSandbox({}, { now });
    try {
      const bodyOf = async (date?: string) => {
        const partner = await odata(moscow.root, "POST", "Catalog_Партнеры?$format=json", { Description: "P" });
        const cp = await odata(moscow.root, "POST", "Catalog_Контрагенты?$format=json", { Description: "C" });
        return { ...(await validOrderFor(partner.json.Ref_Key, cp.json.Ref_Key)), ...(date ? { Date: date } : {}) };
      };
      const fresh = await odata(moscow.root, "POST", `${ORDERS}?$format=json`, await bodyOf());
      expect(fresh.json.Date).toBe("2026-04-01T01:30:00");
      const utcDay = await odata(moscow.root, "POST", `${ORDERS}?$format=json`, await bodyOf("2026-03-31T23:00:00"));
      const refused = await odata(moscow.root, "POST", `${ORDERS}(guid'${utcDay.json.Ref_Key}')/Post?PostingModeOperational=true&$format=json`);
      expect(refused.json["odata.error"].message.value).toContain("Оперативное проведение документа с датой, отличной от текущей, невозможно");
      const sameDay = await odata(moscow.root, "POST", `${ORDERS}?$format=json`, await bodyOf("2026-04-01T00:10:00"));
      const posted = await odata(moscow.root, "POST", `${ORDERS}(guid'${sameDay.json.Ref_Key}')/Post?PostingModeOperational=true&$format=json`);
      expect(posted.status).toBe(200);
    } finally {
      await moscow.stop();
    }
  });

  test("another zone is another wall time", async () => {
    const utc = await startSandbox({ timeZone: "UTC" }, { now });
    try {
      const r = await odata(utc.root, "POST", `${ORDERS}?$format=json`, { Комментарий: "x" });
      expect(r.json.Date).toBe("2026-03-31T22:30:00");
    } finally {
      await utc.stop();
    }
  });
});

function validOrderFor(partner: string, counterparty: string): Record<string, unknown> {
  return {
    Партнер_Key: partner,
    Контрагент_Key: counterparty,
    Организация_Key: SEED_REFS.organisation,
    Соглашение_Key: SEED_REFS.agreement,
    Валюта_Key: SEED_REFS.currency,
    Склад_Key: SEED_REFS.warehouse,
    Товары: [{ LineNumber: 1, Номенклатура_Key: SKU1, Количество: 1, Цена: 10, Сумма: 10, СтавкаНДС: "НДС20", СуммаНДС: 2 }],
  };
}
