import type { TabularRow } from "./coerce";
import { EMPTY_GUID } from "./guid";
import { sumWithVat, vatAmount, vatPercent } from "./vat";

/**
 * What UT 11's order form fills in for a manager: the defaults of the user's settings where a
 * field is empty, and a row's VAT where its rate is empty (the form recalculates the row). Admin
 * API writes are the manager; OData writes are a program, and the platform fills nothing for them.
 */

export interface FormDefaults {
  organisation: string;
  agreement: string;
  warehouse: string;
  currency: string;
}

const DEFAULT_VAT_RATE = "НДС20";
const DEFAULT_OPERATION = "РеализацияКлиенту";

export function fillOrderForm(data: Record<string, unknown>, defaults: FormDefaults): void {
  const header: ReadonlyArray<readonly [string, string]> = [
    ["Организация_Key", defaults.organisation],
    ["Соглашение_Key", defaults.agreement],
    ["Валюта_Key", defaults.currency],
    ["Склад_Key", defaults.warehouse],
  ];
  for (const [field, value] of header) {
    if (data[field] === EMPTY_GUID || data[field] === undefined) data[field] = value;
  }
  if (data.ХозяйственнаяОперация === "") data.ХозяйственнаяОперация = DEFAULT_OPERATION;
  const pricesIncludeVat = data.ЦенаВключаетНДС === true;
  const percent = vatPercent(DEFAULT_VAT_RATE) ?? 0;
  const rows = (data.Товары as TabularRow[] | undefined) ?? [];
  data.Товары = rows.map((row) => {
    if (row.СтавкаНДС !== "" && row.СтавкаНДС !== undefined) return row;
    const sum = typeof row.Сумма === "number" ? row.Сумма : 0;
    const vat = vatAmount(sum, percent, pricesIncludeVat);
    return { ...row, СтавкаНДС: DEFAULT_VAT_RATE, СуммаНДС: vat, СуммаСНДС: sumWithVat(sum, vat, pricesIncludeVat) };
  });
}
