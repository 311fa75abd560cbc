import { causeOf, groupFailures, groupKey, isBusiness, normaliseMessage, statusOf, type FailureRow } from "./failure-causes";

const REF_A = "6f1c0a52-3b7e-4d0e-9a51-2f1d8c0b7e11";
const REF_B = "0b9e7d44-1c2a-4f3b-8e5d-6a7c9b0d1e22";

describe("causeOf: the value a message names, as Concord and the targets word it", () => {
  it.each([
    ["PRODUCT_NOT_FOUND", "no Catalog_Номенклатура item with Артикул SKU-42", "article", "SKU-42"],
    ["PRODUCT_NOT_FOUND", "no Catalog_Номенклатура item with Артикул SKU-9, SKU-42, SKU-9", "article", "SKU-42, SKU-9"],
    ["PRODUCT_WITHOUT_SKU", "rows without a catalogue product or SKU cannot become 1C lines: Монтаж, Доставка", "productRow", "Доставка, Монтаж"],
    ["VAT_RATE_UNMAPPED", "a deal row has a tax rate of 7%, which has no 1C СтавкаНДС (0, 10, 20)", "taxRate", "7%"],
    ["STATUS_UNMAPPED", 'CRM stage "C3:PREPAYMENT" has no 1C Статус in statusMap.crmToErp; add it to the policy file', "stage", "C3:PREPAYMENT"],
    ["STATUS_UNMAPPED", '1C Статус "Закрыт" has no CRM stage in statusMap.erpToCrm; add it to the policy file', "status", "Закрыт"],
    ["CATEGORY_INVALID", 'deal pipeline (CATEGORY_ID) "abc" is not a number', "pipeline", "abc"],
    ["REFERENCE_GONE", `counterparty ${REF_A.toUpperCase()} no longer exists in 1C`, "counterparty", REF_A],
    ["REFERENCE_NOT_READY", `1C product ${REF_B} has no CRM product yet`, "product", REF_B],
    ["REFERENCE_NOT_READY", "counterparty of company 5 is not in 1C yet", "customer", "company 5"],
    ["ONEC_REJECTED", '1c POST Document_ЗаказКлиента: HTTP 500 code -1 Не заполнено поле "Партнер"', "field", "Партнер"],
    ["ONEC_REJECTED", '1c POST Document_ЗаказКлиента: HTTP 500 code -1 Не заполнена колонка "Склад" в строке 3 списка "Товары"', "field", "Товары.Склад"],
    ["ONEC_UNKNOWN_FIELD", "1c PATCH Document_ЗаказКлиента(guid'" + REF_A + "'): HTTP 400 code 6 Не найдено свойство: СкидкаКлиента", "field", "СкидкаКлиента"],
    ["ONEC_INVALID_1", "1c POST Document_ЗаказКлиента: HTTP 400 code 1 Не удалось разобрать строку 'Отгружен' как значение перечисления СтатусыЗаказовКлиентов!", "enumValue", "СтатусыЗаказовКлиентов: Отгружен"],
    ["B24_REJECTED", "bitrix24 crm.deal.update: HTTP 400 (no code) UF_CRM_SYNC_STATUS is not defined or invalid.", "field", "UF_CRM_SYNC_STATUS"],
    ["ONEC_REJECTED", "1c POST Document_ЗаказКлиента: HTTP 500 code -1 Контрагент с ИНН 7701234567 заблокирован", "inn", "7701234567"],
    ["ONEC_REJECTED", "1c POST Document_ЗаказКлиента: HTTP 500 code -1 Номенклатура с артикулом ART-7 снята с продажи", "article", "ART-7"],
  ])("%s: %s → %s %s", (code, message, subject, value) => {
    const cause = causeOf(code, message);
    expect(cause).toMatchObject({ code, subject, value });
  });

  it("names nothing where the message names only the record itself: the text without ids", () => {
    const a = causeOf("TARGET_GONE", `order ${REF_A} no longer exists in 1C`);
    const b = causeOf("TARGET_GONE", `order ${REF_B} no longer exists in 1C`);
    expect(a).toEqual({ code: "TARGET_GONE", subject: null, value: null, text: "order <ref> no longer exists in 1C" });
    expect(groupKey(a)).toBe(groupKey(b));
    // A 1C order's own number and line numbers are the record's, not the cause's.
    const c = causeOf("PRODUCT_WITHOUT_SKU", "1C order ТД00-000017: lines 1, 2, 5 have no product with an Артикул");
    expect(c.value).toBeNull();
    expect(c.text).toBe("1C order #: lines # have no product with an Артикул");
    expect(groupKey(c)).toBe(groupKey(causeOf("PRODUCT_WITHOUT_SKU", "1C order ТД00-000003: lines 4 have no product with an Артикул")));
  });

  it("groups 1C's posting check by field whatever the line, and tells two fields apart", () => {
    const line3 = causeOf("ONEC_REJECTED", '1c POST Document_ЗаказКлиента: HTTP 500 code -1 Не заполнена колонка "Склад" в строке 3 списка "Товары"');
    const line9 = causeOf("ONEC_REJECTED", '1c PATCH Document_ЗаказКлиента(guid\'' + REF_B + '\'): HTTP 500 code -1 Не заполнена колонка "Склад" в строке 9 списка "Товары"');
    const partner = causeOf("ONEC_REJECTED", '1c POST Document_ЗаказКлиента: HTTP 500 code -1 Не заполнено поле "Партнер"');
    expect(groupKey(line3)).toBe(groupKey(line9));
    expect(groupKey(line3)).not.toBe(groupKey(partner));
    // The same article under two codes is two causes.
    expect(groupKey(causeOf("PRODUCT_NOT_FOUND", "no Catalog_Номенклатура item with Артикул X-1"))).not.toBe(groupKey(causeOf("ONEC_REJECTED", "артикул X-1 снят")));
  });

  it("normalises times, GUIDs, numbers and lists away", () => {
    expect(normaliseMessage("onec circuit open since 2026-12-01T10:59:13.066Z (ONEC_TIMEOUT: 1c POST Document_ЗаказКлиента: no answer in 30000 ms)")).toBe(
      "onec circuit open since <time> (ONEC_TIMEOUT: 1c POST Document_ЗаказКлиента: no answer in # ms)",
    );
    expect(normaliseMessage(`deal 42 says it mirrors 1C order ${REF_A}, but no mapping links them`)).toBe("deal # says it mirrors 1C order <ref>, but no mapping links them");
    expect(normaliseMessage("x".repeat(500))).toHaveLength(200);
  });

  it("keeps what the target itself said, without the client's account of the call", () => {
    expect(normaliseMessage("1c POST Document_ЗаказКлиента: HTTP 500 code -1 Недопустимый заказ: не указан склад")).toBe("Недопустимый заказ: не указан склад");
    expect(normaliseMessage(`1c PATCH Document_ЗаказКлиента(guid'${REF_A}'): HTTP 400 code 6 Не найдено свойство: Склад`)).toBe("Не найдено свойство: Склад");
    expect(normaliseMessage("bitrix24 crm.deal.update: HTTP 400 ERROR_CORE Deal 42 is locked")).toBe("ERROR_CORE Deal # is locked");
  });
});

describe("isBusiness", () => {
  it.each([
    ["PRODUCT_NOT_FOUND", "business", true],
    ["ONEC_REJECTED", "business", true],
    ["ONEC_INVALID_9", "business", true],
    ["B24_SOME_PORTAL_CODE", "business", true],
    // Catalogued as permanent or retryable: a fault to fix in Concord or its setup, whatever the letter says.
    ["BAD_MESSAGE", "business", false],
    ["ONEC_UNKNOWN_FIELD", "pipeline", false],
    ["ONEC_TIMEOUT", "pipeline", false],
    ["UNCLASSIFIED", "business", false],
    // A code nobody catalogued: the letter's class.
    ["SOMETHING_NEW", "business", true],
    ["SOMETHING_NEW", "pipeline", false],
  ])("%s (%s) → %s", (code, failureClass, business) => expect(isBusiness(code, failureClass)).toBe(business));
});

const row = (id: number, code: string, message: string, recordId: string | null, minutesAgo: number, extra: Partial<FailureRow> = {}): FailureRow => ({
  id,
  errorCode: code,
  errorMessage: message,
  failureClass: "business",
  flow: "bitrix24.deal→onec.order",
  system: "bitrix24",
  entity: "deal",
  recordId,
  lastFailedAt: new Date(Date.UTC(2026, 11, 1, 12, 0) - minutesAgo * 60_000),
  createdAt: new Date(Date.UTC(2026, 11, 1, 12, 0) - minutesAgo * 60_000),
  ...extra,
});

describe("groupFailures", () => {
  it("counts letters and distinct records per cause, newest failure first", () => {
    const groups = groupFailures([
      row(1, "PRODUCT_NOT_FOUND", "no Catalog_Номенклатура item with Артикул SKU-42", "10", 30),
      row(2, "PRODUCT_NOT_FOUND", "no Catalog_Номенклатура item with Артикул SKU-42", "11", 20),
      // The same deal failing again (a retry that failed): one record, two letters.
      row(3, "PRODUCT_NOT_FOUND", "no Catalog_Номенклатура item with Артикул SKU-42", "11", 10),
      row(4, "PRODUCT_NOT_FOUND", "no Catalog_Номенклатура item with Артикул SKU-7", "12", 5, { flow: "onec.order→bitrix24.deal", system: "onec" }),
      row(5, "ONEC_TIMEOUT", "1c POST Document_ЗаказКлиента: no answer in 30000 ms", "13", 50, { failureClass: "pipeline" }),
      row(6, "BAD_MESSAGE", "message does not match the contract", null, 40),
      row(7, "BAD_MESSAGE", "message does not match the contract", null, 45),
    ]);
    expect(groups.map((g) => [g.cause.code, g.cause.value, g.letters, g.records])).toEqual([
      ["PRODUCT_NOT_FOUND", "SKU-7", 1, 1],
      ["PRODUCT_NOT_FOUND", "SKU-42", 3, 2],
      ["BAD_MESSAGE", null, 2, 2],
      ["ONEC_TIMEOUT", null, 1, 1],
    ]);
    const sku42 = groups[1]!;
    expect(sku42.ids).toEqual([3, 2, 1]);
    expect(sku42.newestFailureAt.toISOString()).toBe("2026-12-01T11:50:00.000Z");
    expect(sku42.business).toBe(true);
    expect(groups[3]!.business).toBe(false);
    expect(groups[0]!.systems).toEqual(["onec"]);
  });
});

describe("statusOf", () => {
  const at = (iso: string) => new Date(iso);
  const group = { newestRecordedAt: at("2026-12-01T12:00:00Z") };
  it("is open until marked, and keeps a mark while nothing newer came", () => {
    expect(statusOf(group, undefined)).toEqual({ state: "open", reopened: false, newSinceMark: false });
    expect(statusOf(group, { state: "acknowledged", changedBy: "anna", changedAt: at("2026-12-01T12:05:00Z"), note: null }).state).toBe("acknowledged");
    expect(statusOf(group, { state: "resolved", changedBy: "anna", changedAt: at("2026-12-01T12:05:00Z"), note: null }).state).toBe("resolved");
  });
  it("reopens a resolved group that got a letter after it was resolved; an acknowledged one stays, flagged", () => {
    expect(statusOf(group, { state: "resolved", changedBy: "anna", changedAt: at("2026-12-01T11:59:00Z"), note: null })).toEqual({ state: "open", reopened: true, newSinceMark: true });
    expect(statusOf(group, { state: "acknowledged", changedBy: "anna", changedAt: at("2026-12-01T11:59:00Z"), note: null })).toEqual({ state: "acknowledged", reopened: false, newSinceMark: true });
  });
});
