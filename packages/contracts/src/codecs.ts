import { z } from "zod";

/** An instant as ISO-8601 text with a zone (UTC `Z` or an offset). */
export const InstantSchema = z.iso.datetime({ offset: true }).describe("ISO-8601 instant with zone");

/** Money as a decimal string with up to 2 fraction digits: both APIs send money as text; floats lose cents. */
export const MoneySchema = z
  .string()
  .regex(/^-?\d+(\.\d{1,2})?$/, "money must be a decimal string like 1200.50")
  .describe("Decimal amount as text, e.g. \"1200.50\"");

/** Normalises a number or decimal text to the canonical 2-digit money string. */
export function toMoney(value: string | number | null | undefined): string {
  const n = typeof value === "number" ? value : Number.parseFloat(value ?? "0");
  if (!Number.isFinite(n)) return "0.00";
  return (Math.round(n * 100) / 100).toFixed(2);
}

/** Non-negative quantity; products may be sold in fractions (kg, m). */
export const QuantitySchema = z.number().nonnegative().describe("Quantity of units");
