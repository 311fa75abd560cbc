import { z } from "zod";
import { EntitySchema, RecordRefSchema, SystemSchema, type System } from "./systems";

/** One identity link: a source record and its counterpart in the target system. */
export const MappingSchema = z.object({
  id: z.number().int().positive().describe("Mapping row id"),
  sourceSystem: SystemSchema,
  sourceEntity: EntitySchema,
  sourceId: z.string(),
  targetSystem: SystemSchema,
  targetEntity: EntitySchema,
  targetId: z.string().nullable().describe("Null while claimed but not yet confirmed"),
  state: z.enum(["claimed", "confirmed", "deleted"]),
  createdBy: z.string().describe("flow / backfill / rebuild"),
  createdAt: z.string(),
  confirmedAt: z.string().nullable(),
  lastSeenAt: z.string(),
  deletedAt: z.string().nullable(),
  deletedBy: SystemSchema.nullable().default(null).describe("The side whose delete ended the pair; only that record's return revives it"),
  createAttemptedAt: z
    .string()
    .nullable()
    .default(null)
    .describe("A create was sent and is not confirmed: in doubt since then, until a find-before-create settles it"),
  decision: z
    .enum(["awaiting", "link", "create", "ignore"])
    .nullable()
    .default(null)
    .describe("Business-key matching was ambiguous: awaiting a person, or what the person decided (link to `decisionTarget`, create new, ignore)"),
  decisionTarget: z.string().nullable().default(null).describe("The record a person chose to link to"),
});
export type Mapping = z.infer<typeof MappingSchema>;

/** Find the mapping of a record in either direction. */
export const ResolveRequestSchema = z.object({
  ref: RecordRefSchema.describe("Record on either side of a mapping"),
  targetSystem: SystemSchema.describe("The other side"),
});
export type ResolveRequest = z.infer<typeof ResolveRequestSchema>;
export const ResolveReplySchema = z.object({ mapping: MappingSchema.nullable() });

/** Reserve the pair before anything is created; a concurrent claim gets the existing row back. */
export const ClaimRequestSchema = z.object({
  source: RecordRefSchema,
  targetSystem: SystemSchema,
  targetEntity: EntitySchema,
  createdBy: z.string().min(1).max(32),
});
export type ClaimRequest = z.infer<typeof ClaimRequestSchema>;
export const ClaimReplySchema = z.object({
  mapping: MappingSchema,
  claimed: z.boolean().describe("true when this call created the claim"),
});
export type ClaimReply = z.infer<typeof ClaimReplySchema>;

/** Record the target id after the target create (or find) succeeded. Idempotent for the same id. */
export const ConfirmRequestSchema = z.object({
  mappingId: z.number().int().positive(),
  targetId: z.string().min(1),
  owner: z.string().min(1).optional().describe("Fencing: applies only while this owner holds the pair's lease"),
  createdBy: z.string().min(1).max(32).optional().describe("How the pair was found, when not by creating: match:<key>, decision"),
});
export type ConfirmRequest = z.infer<typeof ConfirmRequestSchema>;
export const ConfirmReplySchema = z.object({ mapping: MappingSchema });

/**
 * A short exclusive lease on one mapping, so that exactly one writer replica at a time runs
 * find-before-create-or-update for a pair. A crashed holder's lease simply expires.
 */
export const LeaseRequestSchema = z.object({
  mappingId: z.number().int().positive(),
  owner: z.string().min(1).max(128),
  ttlMs: z.number().int().min(1000).max(600_000),
});
export type LeaseRequest = z.infer<typeof LeaseRequestSchema>;
export const LeaseReplySchema = z.object({
  acquired: z.boolean(),
  mapping: MappingSchema,
  leaseUntil: z.string().nullable(),
});
export type LeaseReply = z.infer<typeof LeaseReplySchema>;
/**
 * A create is about to be sent (`begin`: the pair is in doubt from now on), or it failed for sure
 * (`abandon`: nothing was created). Fenced: only the lease holder may do either.
 */
export const CreateAttemptRequestSchema = z.object({
  mappingId: z.number().int().positive(),
  owner: z.string().min(1),
  action: z.enum(["begin", "abandon"]),
});
export const CreateAttemptReplySchema = z.object({ mapping: MappingSchema });

export const ReleaseRequestSchema = z.object({ mappingId: z.number().int().positive(), owner: z.string().min(1) });
export const ReleaseReplySchema = z.object({ released: z.boolean() });

/** What Concord last applied to one side of a pair: the basis of echo and stale checks. */
export const SyncStateSchema = z.object({
  mappingId: z.number().int().positive(),
  side: SystemSchema.describe("The side that was written"),
  lastVersion: z.string().nullable().describe("JSON of the SourceVersion last applied"),
  lastHash: z.string().nullable().describe("Hash of the fields last written to that side"),
  values: z.record(z.string(), z.unknown()).nullable().describe("That side's view at the last sync (for conflict detection)"),
  updatedAt: z.string(),
});
export type SyncState = z.infer<typeof SyncStateSchema>;
export const SyncStateGetRequestSchema = z.object({ mappingId: z.number().int().positive(), side: SystemSchema });
export const SyncStateGetReplySchema = z.object({ state: SyncStateSchema.nullable() });
/** Compare-and-set: applies only when the stored hash still equals `expectHash`. */
export const SyncStateRecordRequestSchema = z.object({
  mappingId: z.number().int().positive(),
  side: SystemSchema,
  version: z.string(),
  hash: z.string(),
  values: z.record(z.string(), z.unknown()).nullable().default(null),
  expectHash: z.string().nullable().describe("The hash the caller read; null when it read no state"),
});
export const SyncStateRecordReplySchema = z.object({ recorded: z.boolean(), state: SyncStateSchema.nullable() });

/** Every request/reply answer is a result: errors travel as data, never as timeouts. */
export const RpcErrorSchema = z.object({ code: z.string(), message: z.string() });
export function rpcReply<T extends z.ZodType>(value: T) {
  return z.discriminatedUnion("ok", [
    z.object({ ok: z.literal(true), value }),
    z.object({ ok: z.literal(false), error: RpcErrorSchema }),
  ]);
}

/** Soft delete: the row stays, with `deleted_at` and state `deleted`. */
export const MarkDeletedRequestSchema = z.object({
  mappingId: z.number().int().positive(),
  side: SystemSchema.optional().describe("The side whose record was deleted"),
});
export const MarkDeletedReplySchema = z.object({ mapping: MappingSchema });
/** Undelete: a record restored at its source brings its pair back (confirmed again, or claimed if it never was). */
export const ReviveRequestSchema = z.object({ mappingId: z.number().int().positive() });
export const ReviveReplySchema = MarkDeletedReplySchema;

/** A field edited on both sides since the last sync, resolved by ownership. */
export const ConflictSchema = z.object({
  mappingId: z.number().int().positive(),
  entity: EntitySchema,
  field: z.string(),
  crmValue: z.unknown(),
  onecValue: z.unknown(),
  winner: SystemSchema,
  rule: z.string().describe("The ownership rule that decided"),
  messageId: z.string().describe("The change that revealed it"),
  traceId: z.string().nullable(),
});
export type Conflict = z.infer<typeof ConflictSchema>;
export const ConflictsRecordRequestSchema = z.object({ conflicts: z.array(ConflictSchema).min(1) });
export const ConflictsRecordReplySchema = z.object({ recorded: z.number().int() });

/** The id a mapped pair has on one system (pairs are stored from whichever side came first). */
export function idOn(mapping: Pick<Mapping, "sourceSystem" | "sourceId" | "targetId">, system: System): string | null {
  return mapping.sourceSystem === system ? mapping.sourceId : mapping.targetId;
}

/** The pair links a record that existed before Concord (found by business keys, or chosen by a person). */
export function linkedToExisting(mapping: Pick<Mapping, "createdBy">): boolean {
  return mapping.createdBy.startsWith("match:") || mapping.createdBy === "decision";
}
