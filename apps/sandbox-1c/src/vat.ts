import type { VAT_RATES } from "./metadata";

/**
 * UT 11's row arithmetic for `Товары`, in one place: the percent of each `СтавкаНДС`, the row's
 * sum after a manual discount, its VAT and its share of `СуммаДокумента`. Pure, so the posting
 * check, the manager's form and the totals cannot drift apart.
 */

type VatRate = (typeof VAT_RATES)[number];

/** Percent of each rate. The `_1xx` ("calculated", 20/120) rates charge the same percent. */
export const VAT_PERCENT: Readonly<Record<VatRate, number>> = {
  БезНДС: 0,
  НДС0: 0,
  НДС5: 5,
  НДС7: 7,
  НДС10: 10,
  НДС18: 18,
  НДС20: 20,
  НДС22: 22,
  НДС5_105: 5,
  НДС7_107: 7,
  НДС10_110: 10,
  НДС18_118: 18,
  НДС20_120: 20,
  НДС22_122: 22,
};

/** Percent of a `СтавкаНДС` value; undefined for the empty value (or anything unknown). */
export function vatPercent(rate: unknown): number | undefined {
  return typeof rate === "string" && Object.hasOwn(VAT_PERCENT, rate) ? VAT_PERCENT[rate as VatRate] : undefined;
}

/** Money is kept in kopecks; EPSILON keeps 1.005 from rounding down to 1.00. */
export function round2(value: number): number {
  return Math.round((value + Math.sign(value) * Number.EPSILON) * 100) / 100;
}

function num(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

/** `Сумма` of a row: price × quantity less the manual discount. */
export function expectedRowSum(row: Record<string, unknown>): number {
  return round2(num(row.Цена) * num(row.Количество) - num(row.СуммаРучнойСкидки));
}

/** `СуммаНДС` of a row: carved out of `Сумма` when prices include VAT, added on top otherwise. */
export function vatAmount(sum: number, percent: number, pricesIncludeVat: boolean): number {
  return round2(pricesIncludeVat ? (sum * percent) / (100 + percent) : (sum * percent) / 100);
}

/** `СуммаСНДС` of a row. */
export function sumWithVat(sum: number, vat: number, pricesIncludeVat: boolean): number {
  return round2(pricesIncludeVat ? sum : sum + vat);
}

/** `СуммаДокумента`: the rows' sums with VAT, cancelled rows (`Отменено`) left out. */
export function documentTotal(rows: readonly Record<string, unknown>[], pricesIncludeVat: boolean): number {
  return round2(rows.filter((r) => r.Отменено !== true).reduce((total, r) => total + sumWithVat(num(r.Сумма), num(r.СуммаНДС), pricesIncludeVat), 0));
}

/** What is wrong with a row's amounts, as the posting check sees it (tolerance: one kopeck). */
export function rowAmountError(row: Record<string, unknown>, pricesIncludeVat: boolean): "sum" | "vat" | null {
  const sum = num(row.Сумма);
  if (Math.abs(sum - expectedRowSum(row)) > 0.01 + 1e-9) return "sum";
  const percent = vatPercent(row.СтавкаНДС);
  if (percent !== undefined && Math.abs(num(row.СуммаНДС) - vatAmount(sum, percent, pricesIncludeVat)) > 0.01 + 1e-9) return "vat";
  return null;
}
