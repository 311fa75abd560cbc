/** 1C `СтавкиНДС` values Concord writes, with their percentage (UT 11 / ERP). */
export const VAT_RATES = { БезНДС: 0, НДС0: 0, НДС5: 5, НДС7: 7, НДС10: 10, НДС18: 18, НДС20: 20, НДС22: 22 } as const;
export type VatRate = keyof typeof VAT_RATES;

/** Percentage of a 1C СтавкаНДС value (НДС20 → 20; calculated rates such as НДС20_120 → 20); 0 when empty or unknown. */
export function vatPercent(rate: unknown): number {
  if (typeof rate !== "string" || rate === "") return 0;
  return (VAT_RATES as Record<string, number>)[rate.split("_")[0] ?? ""] ?? 0;
}
