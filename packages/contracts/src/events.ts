import { z } from "zod";
import { InstantSchema } from "./codecs";
import { checkRecordId } from "./record-ids";
import { EntitySchema, SystemSchema } from "./systems";

/**
 * A change seen at a source: "record X changed". It deliberately carries no field values:
 * the resolver reads the current record (fetch-on-notify), so a late or repeated event
 * never carries stale data.
 */
export const ChangeEventSchema = z.object({
  v: z.literal(1).describe("Schema version"),
  type: z.literal("change").describe("Message type"),
  system: SystemSchema.describe("System where the change happened"),
  entity: EntitySchema.describe("Kind of record that changed"),
  sourceId: z.string().min(1).max(64).describe("The changed record's id at the source"),
  action: z.enum(["upsert", "delete"]).describe("upsert covers add and update; delete removes"),
  sourceVersion: z
    .string()
    .min(1)
    .max(128)
    .describe("What identifies this change at the source: Bitrix24 `<EVENT>@<ts>`, 1C DataVersion"),
  occurredAt: InstantSchema.describe("When the source says the change happened"),
  receivedAt: InstantSchema.describe("When Concord accepted it"),
  via: z
    .enum(["webhook", "offline", "sweep", "manual", "recheck"])
    .describe("How Concord learned of the change (recheck: a writer found the record moved since the decision)"),
})
  // A 1C id is a Ref_Key GUID, a Bitrix24 id a positive integer: nothing else reaches a client.
  .superRefine(checkRecordId("sourceId"));
export type ChangeEvent = z.infer<typeof ChangeEventSchema>;

/** "Record X changed" as Concord itself announces it (never from a source's notification). */
export function announcedChange(
  ref: { system: ChangeEvent["system"]; entity: ChangeEvent["entity"]; id: string },
  change: Pick<ChangeEvent, "action" | "sourceVersion" | "via"> & { occurredAt: string; receivedAt?: string },
): ChangeEvent {
  return ChangeEventSchema.parse({
    v: 1,
    type: "change",
    system: ref.system,
    entity: ref.entity,
    sourceId: ref.id,
    action: change.action,
    sourceVersion: change.sourceVersion,
    occurredAt: change.occurredAt,
    receivedAt: change.receivedAt ?? change.occurredAt,
    via: change.via,
  });
}

/**
 * "Read record X again and decide anew": what a writer publishes when the record moved since
 * the decision (`sourceVersion` = the version it saw, so the dedupe id equals the source's own
 * notification of that version) or when it linked a pair (`linked@<pair id>`).
 */
export function recheckEvent(ref: Parameters<typeof announcedChange>[0], sourceVersion: string, now = new Date()): ChangeEvent {
  return announcedChange(ref, { action: "upsert", sourceVersion, via: "recheck", occurredAt: now.toISOString() });
}
