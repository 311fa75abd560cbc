import { z } from "zod";
import type { Store } from "./store";

/**
 * Bulk data for the go-live benchmark (`scripts/bench-backfill.ts`): n counterparties, products
 * and orders made at once in the store, without notifications (a real base's history was never
 * announced either). Record i carries the keys the Bitrix24 sandbox's bulk seed gives its
 * record i (the same scheme on both sides): INN 77<8 digits of i>, KPP 770001001, article
 * BULK-<i>, the order of deal i+1; every tenth record's keys are its own (matches nothing), and
 * every hundredth counterparty has a duplicate (an ambiguous match).
 */
export const BulkSeedSchema = z.strictObject({
  counterparties: z.number().int().min(0).max(500_000).default(0),
  products: z.number().int().min(0).max(500_000).default(0),
  orders: z.number().int().min(0).max(500_000).default(0),
});

export const bulkInn = (i: number, side: "crm" | "onec") => `77${String(i % 10 === 9 && side === "onec" ? i + 50_000_000 : i).padStart(8, "0")}`;

export function seedBulk(store: Store, request: z.infer<typeof BulkSeedSchema>): { counterparties: number; products: number; orders: number } {
  const options = { applyRules: false };
  let counterparties = 0;
  for (let i = 0; i < request.counterparties; i += 1) {
    const body = { Description: `ООО Контрагент ${i}`, ИНН: bulkInn(i, "onec"), КПП: "770001001", ЮрФизЛицо: "ЮрЛицо" };
    store.create("Catalog_Контрагенты", body, options);
    counterparties += 1;
    if (i % 100 === 5) {
      store.create("Catalog_Контрагенты", { ...body, Description: `${body.Description} (дубль)` }, options);
      counterparties += 1;
    }
  }
  for (let i = 0; i < request.products; i += 1) store.create("Catalog_Номенклатура", { Description: `Товар ${i}`, Артикул: i % 10 === 9 ? `ONEC-${i}` : `BULK-${i}` }, options);
  for (let i = 0; i < request.orders; i += 1) store.create("Document_ЗаказКлиента", { НомерПоДаннымКлиента: i % 10 === 9 ? "" : `B24-D-${i + 1}`, Статус: "НеСогласован" }, options);
  return { counterparties, products: request.products, orders: request.orders };
}
