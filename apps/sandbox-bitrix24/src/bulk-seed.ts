import { z } from "zod";
import type { Store } from "./store";

/**
 * Bulk data for the go-live benchmark (`scripts/bench-backfill.ts`): n companies (each with a
 * requisite), contacts, products and deals made at once in the store. Record i carries the keys
 * the 1C sandbox's bulk seed gives its record i: INN 77<8 digits of i>, KPP 770001001, article
 * BULK-<i>; every tenth record's keys are its own (they match nothing). Events fire as for any
 * write: unbind the event handler first (`PUT /admin/event-handlers {"url":null}`).
 */
export const BulkSeedSchema = z.strictObject({
  companies: z.number().int().min(0).max(500_000).default(0),
  contacts: z.number().int().min(0).max(500_000).default(0),
  products: z.number().int().min(0).max(500_000).default(0),
  deals: z.number().int().min(0).max(500_000).default(0),
});

export const bulkInn = (i: number, side: "crm" | "onec") => `77${String(i % 10 === 9 && side === "crm" ? i + 60_000_000 : i).padStart(8, "0")}`;

export function seedBulk(store: Store, request: z.infer<typeof BulkSeedSchema>): z.infer<typeof BulkSeedSchema> {
  for (let i = 0; i < request.companies; i += 1) {
    const id = store.add("company", { TITLE: `Компания ${i}` });
    store.add("requisite", { ENTITY_TYPE_ID: 4, ENTITY_ID: id, PRESET_ID: 1, NAME: `Компания ${i}`, RQ_INN: bulkInn(i, "crm"), RQ_KPP: "770001001" });
  }
  for (let i = 0; i < request.contacts; i += 1) store.add("contact", { NAME: `Контакт ${i}`, EMAIL: [{ VALUE: `person${i}@example.ru`, VALUE_TYPE: "WORK" }] });
  for (let i = 0; i < request.products; i += 1) store.add("product", { NAME: `Товар ${i}`, XML_ID: i % 10 === 9 ? `CRM-${i}` : `BULK-${i}`, PRICE: 100 });
  for (let i = 0; i < request.deals; i += 1) store.add("deal", { TITLE: `Сделка ${i}`, STAGE_ID: "NEW" });
  return request;
}
