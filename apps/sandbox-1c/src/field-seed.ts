import { deterministicGuid } from "./guid";
import { SEED_REFS, productRefForArticle, type ChangeEvent, type Store } from "./store";
import { expectedRowSum, sumWithVat, vatAmount, vatPercent } from "./vat";

/**
 * Data as a real company's base has it, made by a manager: what Concord does not own and must
 * keep. An individual entrepreneur with an address row, a legal entity whose name is longer than
 * the platform stores, and two 1C-born orders with characteristics, per-row warehouses, VAT, a
 * manual discount, a cancelled row and the customer's own order number. Every order posts under
 * the strict check. Each call makes new records (`n` keeps names, INNs and numbers apart).
 */

export interface FieldSeedResult {
  counterparties: Array<{ ref: string; description: string }>;
  orders: Array<{ ref: string; number: string; clientNumber: string }>;
}

const COUNTERPARTIES = "Catalog_Контрагенты";
const PARTNERS = "Catalog_Партнеры";
const ORDERS = "Document_ЗаказКлиента";
/** A second warehouse, for rows shipped from elsewhere than the order's. */
export const FIELD_WAREHOUSE_FAR = deterministicGuid("Catalog_Склады:Дальний");

/** An INN with valid check digits (10 digits for a company, 12 for a person). */
function innWithCheck(body: string): string {
  const check = (digits: string, weights: number[]): string =>
    String((weights.reduce((s, w, i) => s + w * Number(digits[i]), 0) % 11) % 10);
  if (body.length === 9) return body + check(body, [2, 4, 10, 3, 5, 9, 4, 6, 8]);
  const eleven = body + check(body, [7, 2, 4, 10, 3, 5, 9, 4, 6, 8]);
  return eleven + check(eleven, [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]);
}

interface RowInput {
  article: string;
  variant: string;
  quantity: number;
  price: number;
  discountPercent?: number;
  warehouse: string;
  cancelled?: boolean;
}

function row(line: number, input: RowInput, pricesIncludeVat: boolean): Record<string, unknown> {
  const discount = input.discountPercent ? Math.round(input.price * input.quantity * input.discountPercent) / 100 : 0;
  const base = { Цена: input.price, Количество: input.quantity, СуммаРучнойСкидки: discount };
  const sum = expectedRowSum(base);
  const vat = vatAmount(sum, vatPercent("НДС20") ?? 0, pricesIncludeVat);
  return {
    LineNumber: line,
    Номенклатура_Key: productRefForArticle(input.article),
    Характеристика_Key: deterministicGuid(`Catalog_ХарактеристикиНоменклатуры:${input.article}:${input.variant}`),
    КоличествоУпаковок: input.quantity,
    ...base,
    ПроцентРучнойСкидки: input.discountPercent ?? 0,
    Сумма: sum,
    СтавкаНДС: "НДС20",
    СуммаНДС: vat,
    СуммаСНДС: sumWithVat(sum, vat, pricesIncludeVat),
    Склад_Key: input.warehouse,
    Отменено: input.cancelled ?? false,
  };
}

export function seedFieldData(store: Store, n: number, onCommit: (change: ChangeEvent) => void): FieldSeedResult {
  const asManager = { applyRules: false, managerForm: true };
  const create = (set: string, body: Record<string, unknown>): Record<string, unknown> => {
    const result = store.create(set, body, asManager);
    onCommit(result.change);
    return result.object.data;
  };
  const suffix = String(n).padStart(3, "0");

  // (a) An individual entrepreneur: legal form, e-mail, phone and an address Concord does not own.
  const soleName = `ИП Соколова Анна Викторовна (${suffix})`;
  const solePartner = create(PARTNERS, { Description: soleName, НаименованиеПолное: soleName, Клиент: true, ЮрФизЛицо: "ЧастноеЛицо" });
  const sole = create(COUNTERPARTIES, {
    Description: soleName,
    НаименованиеПолное: `Индивидуальный предприниматель Соколова Анна Викторовна (${suffix})`,
    ИНН: innWithCheck(`5027${String(n).padStart(6, "0")}0`),
    ЮрФизЛицо: "ИндивидуальныйПредприниматель",
    Партнер_Key: solePartner.Ref_Key,
    КонтактнаяИнформация: [
      { LineNumber: 1, Тип: "АдресЭлектроннойПочты", Представление: `sokolova${suffix}@example.ru`, Значение: "" },
      { LineNumber: 2, Тип: "Телефон", Представление: "+7 (916) 555-01-17", Значение: "" },
      { LineNumber: 3, Тип: "Адрес", Представление: "140000, Московская обл, г Люберцы, ул Октябрьская, д 12, кв 5", Значение: "" },
    ],
  });

  // (b) A legal entity named longer than Description's 100 characters: the platform cuts it.
  const longName = `ООО «Северо-Западная торговая компания ${suffix}» — оптовые поставки канцелярских товаров, бумаги и офисной техники для бизнеса`
    .padEnd(130, ".")
    .slice(0, 130);
  const companyPartner = create(PARTNERS, { Description: longName, Клиент: true, ЮрФизЛицо: "Компания" });
  const company = create(COUNTERPARTIES, {
    Description: longName,
    НаименованиеПолное: longName,
    ИНН: innWithCheck(`78${String(n).padStart(7, "0")}`),
    КПП: "780101001",
    ЮрФизЛицо: "ЮрЛицо",
    Партнер_Key: companyPartner.Ref_Key,
    КонтактнаяИнформация: [{ LineNumber: 1, Тип: "Адрес", Представление: "190000, г Санкт-Петербург, наб Обводного канала, д 118, лит А", Значение: "" }],
  });

  // (c) Two 1C-born orders: one with VAT on top, one with prices including VAT.
  const orderFor = (partner: Record<string, unknown>, counterparty: Record<string, unknown>, clientNumber: string, pricesIncludeVat: boolean) =>
    create(ORDERS, {
      Партнер_Key: partner.Ref_Key,
      Контрагент_Key: counterparty.Ref_Key,
      Склад_Key: SEED_REFS.warehouse,
      ЦенаВключаетНДС: pricesIncludeVat,
      НомерПоДаннымКлиента: clientNumber,
      Комментарий: "Заказ принят по телефону",
      Товары: [
        row(1, { article: "SKU-003", variant: "чёрный", quantity: 4, price: 450, warehouse: FIELD_WAREHOUSE_FAR }, pricesIncludeVat),
        row(2, { article: "SKU-007", variant: "серый", quantity: 2, price: 2590, discountPercent: 7, warehouse: SEED_REFS.warehouse }, pricesIncludeVat),
        row(3, { article: "SKU-011", variant: "оригинал", quantity: 1, price: 6100, warehouse: SEED_REFS.warehouse, cancelled: true }, pricesIncludeVat),
      ],
    });
  const first = orderFor(solePartner, sole, `ПО-2026/${117 + 2 * (n - 1)}`, false);
  const second = orderFor(companyPartner, company, `ПО-2026/${118 + 2 * (n - 1)}`, true);

  return {
    counterparties: [sole, company].map((c) => ({ ref: String(c.Ref_Key), description: String(c.Description) })),
    orders: [first, second].map((o) => ({ ref: String(o.Ref_Key), number: String(o.Number), clientNumber: String(o.НомерПоДаннымКлиента) })),
  };
}
