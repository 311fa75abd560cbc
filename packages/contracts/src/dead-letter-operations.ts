import { z } from "zod";
import { InstantSchema } from "./codecs";
import { announcedChange, type ChangeEvent } from "./events";
import { checkRecordId } from "./record-ids";
import { EntitySchema, SystemSchema, type Entity, type RecordRef, type System } from "./systems";

/**
 * Operations on dead letters: the stored record (table `dead_letters`, written only by mapping),
 * the `dlq.list | get | mark` request/reply, resync targets, and the pure helpers that derive a
 * dead letter's flow and record from the original message.
 */

/** open → retried | discarded | resolved. Only an open dead letter is retried or discarded. */
export const DeadLetterStatusSchema = z.enum(["open", "retried", "discarded", "resolved"]).describe("Where a person left the dead letter");
export type DeadLetterStatus = z.infer<typeof DeadLetterStatusSchema>;

/** A dead letter as stored: the DLQ message, what it is about, and what people did with it. */
export const DeadLetterRecordSchema = z.object({
  id: z.number().int().positive().describe("Dead letter id (what `concord dlq` commands take)"),
  dlqStreamSeq: z.number().int().positive().describe("Sequence of the record in the DLQ stream (unique: recording is idempotent)"),
  stage: z.string().describe("Consumer that gave up"),
  subject: z.string().describe("Subject of the original message: a retry is published here again"),
  stream: z.string().describe("Stream of the original message"),
  streamSeq: z.number().int().nonnegative().describe("Sequence of the original in its stream"),
  messageId: z.string().nullable().describe("Dedupe id of the original"),
  original: z.object({
    data: z.string().describe("The original payload (UTF-8 JSON), secrets masked"),
    headers: z.record(z.string(), z.string()).describe("The original headers (masked)"),
    sealed: z.string().optional().describe("The original unmasked, encrypted (see DeadLetter): opened only by a retry"),
  }),
  errorKind: z.enum(["retryable", "permanent"]).describe("retryable errors end here after MaxDeliver"),
  errorCode: z.string().describe("Error code, e.g. ONEC_REJECTED, PRODUCT_NOT_FOUND"),
  errorMessage: z.string().describe("Masked error message, incl. the target system's own text"),
  failureClass: z.enum(["business", "pipeline"]).describe("business rejection vs pipeline fault"),
  attempts: z.number().int().positive().describe("Deliveries before giving up"),
  firstFailedAt: InstantSchema,
  lastFailedAt: InstantSchema,
  traceId: z.string().nullable().describe("Trace of the failed attempt"),
  flow: z.string().nullable().describe('The sync flow, e.g. "bitrix24.deal→onec.order"'),
  system: SystemSchema.nullable().describe("System of the source record the message is about"),
  entity: EntitySchema.nullable().describe("Entity of the source record"),
  recordId: z.string().nullable().describe("Id of the source record (ChangeEvent sourceId, command source.id or dealId)"),
  status: DeadLetterStatusSchema,
  retryOf: z.number().int().positive().nullable().describe("The dead letter this one is a failed retry of"),
  retryCount: z.number().int().nonnegative().describe("How often this dead letter was retried"),
  retriedAt: InstantSchema.nullable(),
  discardedAt: InstantSchema.nullable(),
  discardReason: z.string().nullable().describe("Why a person discarded it"),
  resolvedAt: InstantSchema.nullable(),
  createdAt: InstantSchema.describe("When Concord recorded it"),
});
export type DeadLetterRecord = z.infer<typeof DeadLetterRecordSchema>;

/** Filters shared by `dlq.list`, the console's `GET /api/dlq` and the CLI's `--filter`. */
export const DlqFilterSchema = z.object({
  flow: z.string().min(1).max(100).optional().describe('e.g. "bitrix24.deal→onec.order"'),
  system: SystemSchema.optional().describe("System of the source record"),
  code: z.string().min(1).max(100).optional().describe("Error code (the reason)"),
  status: DeadLetterStatusSchema.optional(),
  from: InstantSchema.optional().describe("Last failure at or after"),
  to: InstantSchema.optional().describe("Last failure at or before"),
});
export type DlqFilter = z.infer<typeof DlqFilterSchema>;

export const DlqListRequestSchema = DlqFilterSchema.extend({
  limit: z.number().int().min(1).max(1000).default(100).describe("Newest first, at most this many"),
});
export type DlqListRequest = z.input<typeof DlqListRequestSchema>;
export const DlqListReplySchema = z.object({
  deadLetters: z.array(DeadLetterRecordSchema),
  total: z.number().int().nonnegative().describe("How many match the filter (beyond the limit too)"),
});
export type DlqListReply = z.infer<typeof DlqListReplySchema>;

export const DlqGetRequestSchema = z.object({ id: z.number().int().positive() });
export const DlqGetReplySchema = z.object({
  deadLetter: DeadLetterRecordSchema.nullable().describe("Null when no such dead letter"),
  history: z.array(DeadLetterRecordSchema).describe("The retry chain it belongs to, oldest first (itself included)"),
});
export type DlqGetReply = z.infer<typeof DlqGetReplySchema>;

/** What a person did: retried (by the console, after the re-publish acked), discarded with a reason, resolved. */
export const DlqMarkRequestSchema = z.discriminatedUnion("status", [
  z.object({ id: z.number().int().positive(), status: z.literal("retried") }),
  z.object({ id: z.number().int().positive(), status: z.literal("discarded"), reason: z.string().trim().min(1).max(1000) }),
  z.object({ id: z.number().int().positive(), status: z.literal("resolved") }),
]);
export type DlqMarkRequest = z.infer<typeof DlqMarkRequestSchema>;
export const DlqMarkReplySchema = z.object({
  deadLetter: DeadLetterRecordSchema,
  changed: z.boolean().describe("false when it already had that status (a repeated mark is a no-op)"),
});
export type DlqMarkReply = z.infer<typeof DlqMarkReplySchema>;

/** Records a person may resync (the resolver rebuilds their commands from their current state). */
export const resyncEntities = {
  bitrix24: ["deal", "company", "contact"],
  onec: ["order", "counterparty", "product"],
} as const satisfies Record<System, readonly Entity[]>;

export function isResyncable(system: System, entity: Entity): boolean {
  return (resyncEntities[system] as readonly Entity[]).includes(entity);
}

export const ResyncRequestSchema = z
  .object({
    system: SystemSchema,
    entity: EntitySchema,
    id: z.string().trim().min(1).max(64).describe("The record's id in its system"),
  })
  .refine((r) => isResyncable(r.system, r.entity), {
    message: `resync covers bitrix24 ${resyncEntities.bitrix24.join("|")} and onec ${resyncEntities.onec.join("|")}`,
    path: ["entity"],
  })
  // The id ends up in a URL on the target (1C OData): only a well-formed id of that system is accepted.
  .superRefine(checkRecordId("id"));
export type ResyncRequest = z.infer<typeof ResyncRequestSchema>;

/**
 * The dedupe id of the n-th retry of a dead letter: new (JetStream does not drop it as a
 * duplicate of the original), yet the same for a repeated retry command, which applies once.
 */
export function retryMessageId(deadLetterId: number, n: number): string {
  return `retry:${deadLetterId}:${n}`;
}

/** "Record X changed, read it again": fetch-on-notify rebuilds the commands from its current state. */
export function manualChangeEvent(ref: RecordRef, now = new Date()): ChangeEvent {
  const at = now.toISOString();
  return announcedChange(ref, { action: "upsert", sourceVersion: `manual@${at}`, via: "manual", occurredAt: at });
}

/** The other end of each flow, by its source record kind. */
const counterparts: Record<string, string> = {
  "bitrix24.deal": "onec.order",
  "bitrix24.company": "onec.counterparty",
  "bitrix24.contact": "onec.counterparty",
  "bitrix24.product": "onec.product",
  "onec.order": "bitrix24.deal",
  "onec.counterparty": "bitrix24.company",
  "onec.partner": "bitrix24.company",
  "onec.product": "bitrix24.product",
};
/** The usual source of a command's target, when the payload does not say. */
const sources: Record<string, string> = {
  "onec.order": "bitrix24.deal",
  "onec.counterparty": "bitrix24.company",
  "bitrix24.deal": "onec.order",
  "bitrix24.company": "onec.counterparty",
  "bitrix24.contact": "onec.counterparty",
  "bitrix24.product": "onec.product",
};

export interface DeadLetterSubjectInfo {
  flow: string | null;
  /** The source record the message is about, when the payload names it. */
  record: RecordRef | null;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function asRef(value: unknown): RecordRef | null {
  if (!isObject(value)) return null;
  const system = SystemSchema.safeParse(value.system);
  const entity = EntitySchema.safeParse(value.entity);
  const id = typeof value.id === "string" && value.id.length > 0 ? value.id : null;
  return system.success && entity.success && id ? { system: system.data, entity: entity.data, id } : null;
}

/**
 * Derives the flow ("bitrix24.deal→onec.order") and the source record of a dead-lettered
 * message from its subject (`<ns>.<events|commands>.<system>.<entity>`) and payload. An event
 * is about its own record; a command about its `source` (a link-back or compensation about its
 * deal, part of the deal→order flow). Whatever cannot be told is null.
 */
export function describeDeadLetter(subject: string, data: string): DeadLetterSubjectInfo {
  const tokens = subject.split(".");
  const [kind, system, entity] = tokens.slice(-3);
  let payload: unknown;
  try {
    payload = JSON.parse(data);
  } catch {
    payload = undefined;
  }
  const here = `${system}.${entity}`;
  if (kind === "events") {
    const p = isObject(payload) ? payload : {};
    const record = asRef({ system: p.system ?? system, entity: p.entity ?? entity, id: p.sourceId });
    const from = record ? `${record.system}.${record.entity}` : here;
    return { flow: counterparts[from] ? `${from}→${counterparts[from]}` : null, record };
  }
  if (kind === "commands") {
    const p = isObject(payload) ? payload : {};
    const source = asRef(p.source);
    if (source) return { flow: `${source.system}.${source.entity}→${here}`, record: source };
    if (typeof p.dealId === "string" && p.dealId.length > 0) {
      return { flow: "bitrix24.deal→onec.order", record: { system: "bitrix24", entity: "deal", id: p.dealId } };
    }
    return { flow: sources[here] ? `${sources[here]}→${here}` : null, record: null };
  }
  return { flow: null, record: null };
}
