import { SEED_REFS, productRefForArticle } from "./store";
import { AUTH, odata, startSandbox, type RunningSandbox } from "./testing";

const ORDERS = "Document_ЗаказКлиента";
const EMPTY = "00000000-0000-0000-0000-000000000000";
const SKU1 = productRefForArticle("SKU-001");
const SKU2 = productRefForArticle("SKU-002");

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

async function createParties(): Promise<{ partner: string; counterparty: string }> {
  const partner = await odata(sb.root, "POST", "Catalog_Партнеры?$format=json", { Description: "ООО Ромашка", Клиент: true, ЮрФизЛицо: "Компания" });
  const counterparty = await odata(sb.root, "POST", "Catalog_Контрагенты?$format=json", {
    Description: "ООО Ромашка",
    ИНН: "7701234567",
    ЮрФизЛицо: "ЮрЛицо",
    Партнер_Key: partner.json.Ref_Key,
    КонтактнаяИнформация: [{ LineNumber: 1, Тип: "АдресЭлектроннойПочты", Представление: "info@romashka.ru", Значение: "" }],
  });
  return { partner: partner.json.Ref_Key, counterparty: counterparty.json.Ref_Key };
}

function orderBody(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    НомерПоДаннымКлиента: "B24-1001",
    Товары: [
      { LineNumber: 1, Номенклатура_Key: SKU1, Количество: 2, Цена: 100, Сумма: 200 },
      { LineNumber: 2, Номенклатура_Key: SKU2, Количество: 1, Цена: 50, Сумма: 50 },
    ],
    ...extra,
  };
}

/** An order UT 11 posts: the header's references, and rows with VAT that add up. */
function postableBody(parties: { partner: string; counterparty: string }, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return orderBody({
    Партнер_Key: parties.partner,
    Контрагент_Key: parties.counterparty,
    Организация_Key: SEED_REFS.organisation,
    Соглашение_Key: SEED_REFS.agreement,
    Валюта_Key: SEED_REFS.currency,
    Склад_Key: SEED_REFS.warehouse,
    Товары: [
      { LineNumber: 1, Номенклатура_Key: SKU1, Количество: 2, Цена: 100, Сумма: 200, СтавкаНДС: "НДС20", СуммаНДС: 40 },
      { LineNumber: 2, Номенклатура_Key: SKU2, Количество: 1, Цена: 50, Сумма: 50, СтавкаНДС: "НДС20", СуммаНДС: 10 },
    ],
    ...extra,
  });
}

describe("access and format", () => {
  test("401 without or with wrong credentials, with the 1C realm", async () => {
    const none = await fetch(`${sb.root}${ORDERS}?$format=json`);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe('Basic realm="1C:Enterprise"');
    const wrong = await fetch(`${sb.root}${ORDERS}?$format=json`, { headers: { authorization: `Basic ${Buffer.from("concord:nope").toString("base64")}` } });
    expect(wrong.status).toBe(401);
    const right = await fetch(`${sb.root}${ORDERS}?$format=json`, { headers: { authorization: AUTH } });
    expect(right.status).toBe(200);
  });

  test("JSON only with $format=json; Atom XML otherwise", async () => {
    const atom = await odata(sb.root, "GET", "Catalog_Номенклатура");
    expect(atom.headers.get("content-type")).toContain("application/atom+xml");
    expect(atom.text).toContain("<feed");
    const json = await odata(sb.root, "GET", "Catalog_Номенклатура?$format=json");
    expect(json.headers.get("content-type")).toContain("application/json");
    expect(json.json["odata.metadata"]).toBe(`${sb.root}$metadata#Catalog_Номенклатура`);
    expect(json.json.value).toHaveLength(12);
  });

  test("no ETag header (no optimistic locking)", async () => {
    const r = await odata(sb.root, "GET", "Catalog_Номенклатура?$format=json");
    expect(r.headers.get("etag")).toBeNull();
  });

  test("healthz and readyz", async () => {
    for (const p of ["/healthz", "/readyz"]) {
      const r = await fetch(sb.origin + p);
      expect([r.status, await r.json()]).toEqual([200, { status: "ok" }]);
    }
  });
});

describe("reads", () => {
  test("seeded products have stable keys derived from the article", async () => {
    const r = await odata(sb.root, "GET", "Catalog_Номенклатура?$format=json&$filter=Артикул eq 'SKU-001'");
    expect(r.json.value).toHaveLength(1);
    expect(r.json.value[0]).toMatchObject({ Ref_Key: SKU1, Артикул: "SKU-001", Code: "000000001", DataVersion: "AAAAAAAAAAA=" });
  });

  test("single object is returned as itself with /@Element metadata", async () => {
    const r = await odata(sb.root, "GET", `Catalog_Номенклатура(guid'${SKU2}')?$format=json`);
    expect(r.status).toBe(200);
    expect(r.json["odata.metadata"]).toBe(`${sb.root}$metadata#Catalog_Номенклатура/@Element`);
    expect(r.json.Ref_Key).toBe(SKU2);
    expect(r.json.value).toBeUndefined();
  });

  test("unknown key → 404 code 9; unknown set → 404", async () => {
    const missing = await odata(sb.root, "GET", `${ORDERS}(guid'${EMPTY}')?$format=json`);
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ "odata.error": { code: "9", message: { lang: "ru", value: "Экземпляр сущности не найден" } } });
    const set = await odata(sb.root, "GET", "Catalog_Несуществующий?$format=json");
    expect(set.status).toBe(404);
    expect(set.json["odata.error"].message.value).toContain("Catalog_Несуществующий");
  });

  test("unknown field in $select / $orderby → 400 code 6 echoing it", async () => {
    for (const q of ["$select=Description,ZZMARKER7391", "$orderby=ZZMARKER7391 desc"]) {
      const r = await odata(sb.root, "GET", `Catalog_Номенклатура?$format=json&${q}`);
      expect(r.status).toBe(400);
      expect(r.json["odata.error"].code).toBe("6");
      expect(r.json["odata.error"].message.value).toContain("ZZMARKER7391");
    }
  });

  test("$filter parse error → 400 code 14; a + is not a space", async () => {
    const plus = await odata(sb.root, "GET", "Catalog_Номенклатура?$format=json&$filter=IsFolder+eq+false");
    expect(plus.status).toBe(400);
    expect(plus.json["odata.error"].code).toBe("14");
    const ok = await odata(sb.root, "GET", "Catalog_Номенклатура?$format=json&$filter=IsFolder%20eq%20false");
    expect(ok.json.value).toHaveLength(12);
  });

  test("percent-encoded Cyrillic in $filter, $select, $orderby, $top, $skip, $inlinecount (count is a string)", async () => {
    const q = encodeURIComponent("startswith(Артикул,'SKU-01')");
    const r = await odata(sb.root, "GET", `Catalog_Номенклатура?$format=json&$filter=${q}&$select=${encodeURIComponent("Артикул")}&$orderby=Code%20desc&$top=2&$skip=1&$inlinecount=allpages`);
    expect(r.status).toBe(200);
    expect(r.json["odata.count"]).toBe("3");
    expect(r.json.value).toEqual([{ Артикул: "SKU-011" }, { Артикул: "SKU-010" }]);
  });

  test("$count", async () => {
    const r = await odata(sb.root, "GET", "Catalog_Номенклатура/$count?$filter=substringof('SKU-00',Артикул)");
    expect([r.status, r.text]).toEqual([200, "9"]);
  });
});

describe("writes", () => {
  test("POST ignores Ref_Key, assigns Number, returns 201 + full object + percent-encoded Location", async () => {
    const foreign = "11111111-2222-4333-8444-555555555555";
    const r = await odata(sb.root, "POST", `${ORDERS}?$format=json`, orderBody({ Ref_Key: foreign }));
    expect(r.status).toBe(201);
    expect(r.json.Ref_Key).not.toBe(foreign);
    expect(r.json.Ref_Key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(r.json.Number).toMatch(/^ТД00-\d{6}$/);
    expect(r.json.Date).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
    expect(r.json).toMatchObject({ DataVersion: "AAAAAAAAAAA=", Posted: false, Статус: "НеСогласован", ХозяйственнаяОперация: "РеализацияКлиенту", СуммаДокумента: 250 });
    expect(r.json.Товары[0]).toMatchObject({ Ref_Key: r.json.Ref_Key, LineNumber: "1", Номенклатура_Key: SKU1, Сумма: 200 });
    const location = r.headers.get("location") ?? "";
    expect(location).toBe(`${sb.root}${encodeURIComponent(ORDERS)}(guid'${r.json.Ref_Key}')`);
    expect(location).not.toMatch(/[^\x20-\x7e]/);
    const again = await odata(sb.root, "GET", `${ORDERS}(guid'${r.json.Ref_Key}')?$format=json`);
    expect(again.json.НомерПоДаннымКлиента).toBe("B24-1001");
  });

  test("unknown fields ignored, string in numeric field ignored, long strings truncated, broken refs kept", async () => {
    const broken = "99999999-9999-4999-8999-999999999999";
    const r = await odata(sb.root, "POST", `${ORDERS}?$format=json`, {
      НеСуществующееПоле: "x",
      СуммаДокумента: "много",
      НомерПоДаннымКлиента: "Я".repeat(80),
      Склад_Key: broken,
      Товары: [{ LineNumber: 1, Количество: "два", Цена: 10, Сумма: 10 }],
    });
    expect(r.status).toBe(201);
    expect(r.json.НеСуществующееПоле).toBeUndefined();
    expect(r.json.НомерПоДаннымКлиента).toBe("Я".repeat(50));
    expect(r.json.Склад_Key).toBe(broken);
    expect(r.json.Товары[0].Количество).toBe(0);
    expect(r.json.СуммаДокумента).toBe(10);
  });

  test("catalog Description truncated to 100, Code auto-numbered", async () => {
    const r = await odata(sb.root, "POST", "Catalog_Контрагенты?$format=json", { Description: "x".repeat(150) });
    expect(r.json.Description).toHaveLength(100);
    expect(r.json.Code).toBe("000000001");
  });

  test("enum value outside the enum → 400 code 1, nothing written", async () => {
    const r = await odata(sb.root, "POST", `${ORDERS}?$format=json`, orderBody({ Статус: "Отгружается" }));
    expect(r.status).toBe(400);
    expect(r.json["odata.error"].code).toBe("1");
    const list = await odata(sb.root, "GET", `${ORDERS}?$format=json`);
    expect(list.json.value).toHaveLength(0);
  });

  test("bad guid → 400 code 1 echoing the value; bad JSON → 500 code -1", async () => {
    const guid = await odata(sb.root, "POST", `${ORDERS}?$format=json`, { Контрагент_Key: "ZZMARKER" });
    expect([guid.status, guid.json["odata.error"].code]).toEqual([400, "1"]);
    expect(guid.json["odata.error"].message.value).toContain("ZZMARKER");
    const bad = await odata(sb.root, "POST", `${ORDERS}?$format=json`, "{not json");
    expect([bad.status, bad.json["odata.error"].code]).toEqual([500, "-1"]);
  });

  test("tabular row without LineNumber → 500 code -1", async () => {
    const r = await odata(sb.root, "POST", `${ORDERS}?$format=json`, { Товары: [{ Номенклатура_Key: SKU1, Количество: 1 }] });
    expect(r.status).toBe(500);
    expect(r.json["odata.error"].code).toBe("-1");
    expect(typeof r.json["odata.error"].message.value).toBe("string");
  });

  test("POST to a tabular-part set → 400 code 13; GET works with key Ref_Key+LineNumber", async () => {
    const order = await odata(sb.root, "POST", `${ORDERS}?$format=json`, orderBody());
    const post = await odata(sb.root, "POST", `${ORDERS}_Товары?$format=json`, { Ref_Key: order.json.Ref_Key, LineNumber: 3 });
    expect(post.status).toBe(400);
    expect(post.json).toEqual({ "odata.error": { code: "13", message: { lang: "ru", value: "Создание строк табличной части напрямую не поддерживается" } } });
    const rows = await odata(sb.root, "GET", `${ORDERS}_Товары?$format=json&$filter=Ref_Key eq guid'${order.json.Ref_Key}'`);
    expect(rows.json.value.map((x: { LineNumber: string }) => x.LineNumber)).toEqual(["1", "2"]);
    const row = await odata(sb.root, "GET", `${ORDERS}_Товары(Ref_Key=guid'${order.json.Ref_Key}',LineNumber=2)?$format=json`);
    expect(row.json).toMatchObject({ LineNumber: "2", Номенклатура_Key: SKU2 });
  });

  test("PATCH is partial, replaces the whole Товары part, returns 200 + full object; DataVersion moves on every write", async () => {
    const created = await odata(sb.root, "POST", `${ORDERS}?$format=json`, orderBody({ Комментарий: "keep" }));
    const ref = created.json.Ref_Key;
    const patched = await odata(sb.root, "PATCH", `${ORDERS}(guid'${ref}')?$format=json`, {
      Товары: [{ LineNumber: 1, Номенклатура_Key: SKU2, Количество: 5, Цена: 50, Сумма: 250 }],
    });
    expect(patched.status).toBe(200);
    expect(patched.json.Комментарий).toBe("keep");
    expect(patched.json.Товары).toHaveLength(1);
    expect(patched.json.Товары[0]).toMatchObject({ LineNumber: "1", Номенклатура_Key: SKU2, Количество: 5 });
    expect(patched.json.СуммаДокумента).toBe(250);
    expect(patched.json.DataVersion).toBe("AAAAAAAAAAE=");

    // A no-op PATCH (and a stale DataVersion / If-Match) is still a write.
    const noop = await odata(sb.root, "PATCH", `${ORDERS}(guid'${ref}')?$format=json`, { DataVersion: "AAAAAAAAAAA=" }, { "if-match": 'W/"AAAAAAAAAAA="' });
    expect(noop.status).toBe(200);
    expect(noop.json.DataVersion).toBe("AAAAAAAAAAI=");
    const mark = await odata(sb.root, "PATCH", `${ORDERS}(guid'${ref}')?$format=json`, { DeletionMark: true });
    expect(mark.json).toMatchObject({ DeletionMark: true, DataVersion: "AAAAAAAAAAM=" });
  });

  test("Ref_Key in a PATCH body is ignored", async () => {
    const created = await odata(sb.root, "POST", "Catalog_Партнеры?$format=json", { Description: "A" });
    const r = await odata(sb.root, "PATCH", `Catalog_Партнеры(guid'${created.json.Ref_Key}')?$format=json`, { Ref_Key: EMPTY, Description: "B" });
    expect(r.json).toMatchObject({ Ref_Key: created.json.Ref_Key, Description: "B" });
  });

  test("DELETE removes physically (204, then 404 code 9)", async () => {
    const created = await odata(sb.root, "POST", "Catalog_Партнеры?$format=json", { Description: "A" });
    const del = await odata(sb.root, "DELETE", `Catalog_Партнеры(guid'${created.json.Ref_Key}')?$format=json`);
    expect(del.status).toBe(204);
    const get = await odata(sb.root, "GET", `Catalog_Партнеры(guid'${created.json.Ref_Key}')?$format=json`);
    expect([get.status, get.json["odata.error"].code]).toEqual([404, "9"]);
  });
});

describe("filters on written data", () => {
  test("by НомерПоДаннымКлиента, by guid, lambda any over Товары", async () => {
    const { partner, counterparty } = await createParties();
    const a = await odata(sb.root, "POST", `${ORDERS}?$format=json`, orderBody({ НомерПоДаннымКлиента: "B24-1", Контрагент_Key: counterparty, Партнер_Key: partner }));
    const b = await odata(sb.root, "POST", `${ORDERS}?$format=json`, {
      НомерПоДаннымКлиента: "B24-2",
      Товары: [{ LineNumber: 1, Номенклатура_Key: productRefForArticle("SKU-007"), Количество: 1, Цена: 5000, Сумма: 5000 }],
    });
    const byNumber = await odata(sb.root, "GET", `${ORDERS}?$format=json&$filter=${encodeURIComponent("НомерПоДаннымКлиента eq 'B24-2'")}`);
    expect(byNumber.json.value.map((o: { Ref_Key: string }) => o.Ref_Key)).toEqual([b.json.Ref_Key]);
    const byGuid = await odata(sb.root, "GET", `${ORDERS}?$format=json&$filter=${encodeURIComponent(`Контрагент_Key eq guid'${counterparty}'`)}`);
    expect(byGuid.json.value.map((o: { Ref_Key: string }) => o.Ref_Key)).toEqual([a.json.Ref_Key]);
    const any = await odata(sb.root, "GET", `${ORDERS}?$format=json&$filter=${encodeURIComponent(`Товары/any(d: d/Номенклатура_Key eq guid'${SKU2}')`)}`);
    expect(any.json.value.map((o: { Ref_Key: string }) => o.Ref_Key)).toEqual([a.json.Ref_Key]);
    const price = await odata(sb.root, "GET", `${ORDERS}?$format=json&$filter=${encodeURIComponent("Товары/any(d: d/Цена gt 3000)")}`);
    expect(price.json.value.map((o: { Ref_Key: string }) => o.Ref_Key)).toEqual([b.json.Ref_Key]);
    const inn = await odata(sb.root, "GET", `Catalog_Контрагенты?$format=json&$filter=${encodeURIComponent("ИНН eq '7701234567'")}`);
    expect(inn.json.value[0].КонтактнаяИнформация[0]).toMatchObject({ LineNumber: "1", Тип: "АдресЭлектроннойПочты", Представление: "info@romashka.ru" });
  });
});

describe("posting", () => {
  test("Post / Unpost flip Posted and move DataVersion", async () => {
    const order = await odata(sb.root, "POST", `${ORDERS}?$format=json`, postableBody(await createParties()));
    const ref = order.json.Ref_Key;
    const post = await odata(sb.root, "POST", `${ORDERS}(guid'${ref}')/Post?PostingModeOperational=false`);
    expect(post.status).toBe(200);
    let now = await odata(sb.root, "GET", `${ORDERS}(guid'${ref}')?$format=json`);
    expect(now.json).toMatchObject({ Posted: true, DataVersion: "AAAAAAAAAAE=" });
    const unpost = await odata(sb.root, "POST", `${ORDERS}(guid'${ref}')/Unpost`);
    expect(unpost.status).toBe(200);
    now = await odata(sb.root, "GET", `${ORDERS}(guid'${ref}')?$format=json`);
    expect(now.json).toMatchObject({ Posted: false, DataVersion: "AAAAAAAAAAI=" });
  });

  test.each([
    ["no partner", { Партнер_Key: undefined }, 'Не заполнено поле "Партнер"'],
    ["no counterparty", { Контрагент_Key: undefined }, 'Не заполнено поле "Контрагент"'],
    ["no goods", { Товары: [] }, "Товары"],
  ])("posting check: %s → 500 code -1 with the handler's text", async (_name, change, text) => {
    const body = postableBody(await createParties(), change);
    const order = await odata(sb.root, "POST", `${ORDERS}?$format=json`, body);
    const post = await odata(sb.root, "POST", `${ORDERS}(guid'${order.json.Ref_Key}')/Post?PostingModeOperational=false&$format=json`);
    expect(post.status).toBe(500);
    expect(post.json["odata.error"].code).toBe("-1");
    expect(post.json["odata.error"].message.value).toContain(text);
    const after = await odata(sb.root, "GET", `${ORDERS}(guid'${order.json.Ref_Key}')?$format=json`);
    expect(after.json).toMatchObject({ Posted: false, DataVersion: "AAAAAAAAAAA=" });
  });

  test("operational posting fails for a document not dated today", async () => {
    const order = await odata(sb.root, "POST", `${ORDERS}?$format=json`, postableBody(await createParties(), { Date: "2024-01-01T10:00:00" }));
    expect(order.json.Date).toBe("2024-01-01T10:00:00");
    const op = await odata(sb.root, "POST", `${ORDERS}(guid'${order.json.Ref_Key}')/Post?PostingModeOperational=true&$format=json`);
    expect([op.status, op.json["odata.error"].code]).toEqual([500, "-1"]);
    const normal = await odata(sb.root, "POST", `${ORDERS}(guid'${order.json.Ref_Key}')/Post?PostingModeOperational=false`);
    expect(normal.status).toBe(200);
  });
});

describe("business rejection rule", () => {
  test("matching POST/PATCH fails with 500 code -1 and the rule's message; nothing written", async () => {
    const put = await fetch(`${sb.origin}/admin/reject`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ set: ORDERS, when: { field: "Комментарий", contains: "REJECT" }, message: "Заказ отклонён обработчиком ПередЗаписью" }),
    });
    expect(put.status).toBe(200);
    const r = await odata(sb.root, "POST", `${ORDERS}?$format=json`, orderBody({ Комментарий: "please REJECT me" }));
    expect(r.status).toBe(500);
    expect(r.json["odata.error"]).toEqual({ code: "-1", message: { lang: "ru", value: "Заказ отклонён обработчиком ПередЗаписью" } });
    const ok = await odata(sb.root, "POST", `${ORDERS}?$format=json`, orderBody());
    const patch = await odata(sb.root, "PATCH", `${ORDERS}(guid'${ok.json.Ref_Key}')?$format=json`, { Комментарий: "REJECT" });
    expect(patch.status).toBe(500);
    const after = await odata(sb.root, "GET", `${ORDERS}(guid'${ok.json.Ref_Key}')?$format=json`);
    expect(after.json).toMatchObject({ Комментарий: "", DataVersion: "AAAAAAAAAAA=" });
    await fetch(`${sb.origin}/admin/reject`, { method: "DELETE" });
    const again = await odata(sb.root, "POST", `${ORDERS}?$format=json`, orderBody({ Комментарий: "REJECT" }));
    expect(again.status).toBe(201);
  });
});

describe("admin", () => {
  test("records, stats and request log (traceparent kept, Authorization never)", async () => {
    const created = await odata(sb.root, "POST", "Catalog_Партнеры?$format=json", { Description: "A" }, { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" });
    await odata(sb.root, "GET", `Catalog_Партнеры(guid'${created.json.Ref_Key}')?$format=json`);
    const viaAdmin = await fetch(`${sb.origin}/admin/records/${encodeURIComponent("Catalog_Партнеры")}/${created.json.Ref_Key}`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ Комментарий: "edited by a manager" }),
    });
    expect(viaAdmin.status).toBe(200);
    const records = (await (await fetch(`${sb.origin}/admin/records/${encodeURIComponent("Catalog_Партнеры")}`)).json()) as Array<Record<string, unknown>>;
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ Комментарий: "edited by a manager", DataVersion: "AAAAAAAAAAE=" });

    const stats = (await (await fetch(`${sb.origin}/admin/stats`)).json()) as { sets: Record<string, Record<string, number>> };
    expect(stats.sets["Catalog_Партнеры"]).toMatchObject({ POST: 1, GET: 1, PATCH: 0, writes: 1, adminWrites: 1 });

    const log = (await (await fetch(`${sb.origin}/admin/requests?limit=5`)).json()) as Array<Record<string, unknown>>;
    const post = log.find((e) => e.method === "POST");
    expect(post).toMatchObject({ status: 201, traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" });
    expect(String(post?.path)).toContain("Catalog_Партнеры");
    expect(JSON.stringify(log)).not.toContain(AUTH.slice(6));

    await fetch(`${sb.origin}/admin/stats/reset`, { method: "POST" });
    const reset = (await (await fetch(`${sb.origin}/admin/stats`)).json()) as { sets: Record<string, unknown> };
    expect(reset.sets).toEqual({});
  });

  test("reset keeps seeded products and drops the rest", async () => {
    await createParties();
    await fetch(`${sb.origin}/admin/reset`, { method: "POST" });
    const products = await odata(sb.root, "GET", "Catalog_Номенклатура/$count");
    const partners = await odata(sb.root, "GET", "Catalog_Партнеры/$count");
    expect([products.text, partners.text]).toEqual(["12", "0"]);
  });
});

test("additional attributes (ДополнительныеРеквизиты) are stored and found with a lambda on property and value", async () => {
  const property = "6b1c2d3e-4f50-5a61-8b72-9c83d4e5f607";
  const row = { LineNumber: 1, Свойство_Key: property, Значение: "concord:bitrix24:company:7", Значение_Type: "Edm.String", ТекстоваяСтрока: "" };
  const created = await odata(sb.root, "POST", "Catalog_Контрагенты?$format=json", { Description: "С реквизитом", ДополнительныеРеквизиты: [row] });
  expect(created.status).toBe(201);
  await odata(sb.root, "POST", "Catalog_Контрагенты?$format=json", { Description: "Без реквизита" });
  const filter = encodeURIComponent(`ДополнительныеРеквизиты/any(d: d/Свойство_Key eq guid'${property}' and d/Значение eq 'concord:bitrix24:company:7')`);
  const found = await odata(sb.root, "GET", `Catalog_Контрагенты?$format=json&$filter=${filter}`);
  expect(found.json.value.map((c: { Description: string }) => c.Description)).toEqual(["С реквизитом"]);
});
