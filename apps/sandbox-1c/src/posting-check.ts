import type { TabularRow } from "./coerce";
import { EMPTY_GUID } from "./guid";
import { rowAmountError, vatPercent } from "./vat";

/**
 * UT 11's posting check of `Document_ЗаказКлиента` (ОбработкаПроверкиЗаполнения + the amounts
 * check): the first failure's text, or null. Texts copy UT 11's wording closely. Cancelled rows
 * (`Отменено`) are left out of every row check, as in UT 11.
 */

const REQUIRED_HEADER: ReadonlyArray<readonly [string, string]> = [
  ["Партнер_Key", "Партнер"],
  ["Контрагент_Key", "Контрагент"],
  ["Организация_Key", "Организация"],
  ["Соглашение_Key", "Соглашение"],
  ["Валюта_Key", "Валюта"],
  ["ХозяйственнаяОперация", "Хозяйственная операция"],
];

const isEmpty = (value: unknown): boolean => value === undefined || value === null || value === "" || value === EMPTY_GUID;

const column = (name: string, line: number): string => `Не заполнена колонка "${name}" в строке ${line} списка "Товары"`;

export function orderPostingError(data: Record<string, unknown>): string | null {
  for (const [field, label] of REQUIRED_HEADER) {
    if (isEmpty(data[field])) return `Не заполнено поле "${label}"`;
  }
  const rows = (data.Товары as TabularRow[] | undefined) ?? [];
  if (rows.length === 0) return 'Не заполнена табличная часть "Товары"';
  const active = rows.filter((r) => r.Отменено !== true);
  const headerWarehouse = !isEmpty(data.Склад_Key);
  const pricesIncludeVat = data.ЦенаВключаетНДС === true;
  for (const row of active) {
    const line = row.LineNumber;
    if (isEmpty(row.Номенклатура_Key)) return column("Номенклатура", line);
    if (!(typeof row.Количество === "number" && row.Количество > 0)) return column("Количество", line);
    if (vatPercent(row.СтавкаНДС) === undefined) return column("Ставка НДС", line);
    // The warehouse may be the order's or each row's own.
    if (!headerWarehouse && isEmpty(row.Склад_Key)) return column("Склад", line);
    const amounts = rowAmountError(row, pricesIncludeVat);
    if (amounts === "sum") return `В строке ${line} списка "Товары" неверно рассчитана сумма`;
    if (amounts === "vat") return `В строке ${line} списка "Товары" неверно рассчитана сумма НДС`;
  }
  return null;
}
