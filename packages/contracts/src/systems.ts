import { z } from "zod";
import { checkRecordId } from "./record-ids";

/** The systems Concord connects. `onec` is 1C:Enterprise (the name must start with a letter in subjects). */
export const SystemSchema = z.enum(["bitrix24", "onec"]).describe("A connected system");
export type System = z.infer<typeof SystemSchema>;

/** Record kinds per system: Bitrix24 deal/company/contact/product; 1C order/counterparty/partner/product. */
export const EntitySchema = z
  .enum(["deal", "company", "contact", "product", "order", "counterparty", "partner"])
  .describe("A record kind within a system");
export type Entity = z.infer<typeof EntitySchema>;

/** A record in one system: the unit every mapping, event and command talks about. */
export const RecordRefSchema = z
  .object({
    system: SystemSchema.describe("System that holds the record"),
    entity: EntitySchema.describe("Kind of record"),
    id: z.string().min(1).describe("The record's own id in that system (Bitrix24 ID, 1C Ref_Key)"),
  })
  // Every reference crossing a process boundary has its system's id form (record-ids.ts).
  .superRefine(checkRecordId("id"));
export type RecordRef = z.infer<typeof RecordRefSchema>;

export function formatRef(ref: RecordRef): string {
  return `${ref.system}:${ref.entity}:${ref.id}`;
}
