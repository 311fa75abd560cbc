import { z } from "zod";
import { InstantSchema } from "./codecs";
import { RecordRefSchema } from "./systems";

/** What happened to one message at one stage. Terminal results end a change's story. */
export const OutcomeResultSchema = z.enum([
  "accepted", // ingress: durable in EVENTS
  "commanded", // resolver: commands published
  "created", // writer: record created in the target
  "applied", // writer: record updated in the target
  "echo", // our own write came back: skipped
  "stale", // built from an older state than already applied: skipped
  "skipped", // nothing to do (flow off, record gone, nothing mapped)
  "retrying", // a retryable failure; JetStream will redeliver
  "dead-lettered", // permanent failure or retries exhausted: in the DLQ
  "compensated", // a saga undid the source's step after a permanent rejection (an alert)
  "dry-run", // writer (or resolver): what would be written, with the body; nothing written (the flow is in dry-run)
  "held", // waits for a person's decision (an ambiguous match): redelivered, never dead-lettered
]);
export type OutcomeResult = z.infer<typeof OutcomeResultSchema>;

/**
 * One call to a target made while the message was handled: the record's history shows its
 * calls. Names a method or a set, never an id, a URL or a body; the error is masked.
 */
export const TargetCallSchema = z.object({
  target: z.enum(["bitrix24", "onec"]).describe("Which target was called"),
  call: z.string().max(200).describe("Bitrix24 method (crm.deal.update), or 1C verb and set (PATCH Document_ЗаказКлиента(…))"),
  status: z.number().int().nullable().describe("HTTP status (for a batched Bitrix24 call its own command's); null when no answer came"),
  durationMs: z.number().nonnegative().describe("From the call's start to its answer, a wait for a rate-limit token included"),
  attempt: z.number().int().positive().describe("The client's try of this call: 1, or more for a quick retry of an idempotent call"),
  error: z.string().max(500).nullable().describe("The failure, masked; null on success"),
  at: InstantSchema.describe("When the answer came"),
});
export type TargetCall = z.infer<typeof TargetCallSchema>;

/** Most calls one outcome carries (the rest are counted in `callsDropped`). */
export const MAX_OUTCOME_CALLS = 50;

export const OutcomeSchema = z.object({
  v: z.literal(1),
  type: z.literal("outcome"),
  stage: z.enum(["ingress", "resolver", "onec-writer", "crm-writer"]).describe("Service that reports"),
  messageId: z.string().describe("Dedupe id of the message that was handled"),
  subject: RecordRefSchema.describe("The record the message was about"),
  target: RecordRefSchema.nullable().describe("The counterpart record, when known"),
  targetNumber: z.string().max(64).optional().describe("The counterpart's number as people know it (the 1C order Номер), when the writer read it"),
  result: OutcomeResultSchema,
  detail: z.string().max(2000).describe("Short, masked explanation"),
  attempts: z.number().int().nonnegative().describe("Delivery attempt that produced this outcome"),
  durationMs: z.number().nonnegative(),
  traceId: z.string().nullable().describe("OpenTelemetry trace id"),
  error: z
    .object({ code: z.string(), failureClass: z.enum(["business", "pipeline"]) })
    .nullable()
    .default(null)
    .describe("For retrying/dead-lettered: the error code and whether the target refused the data"),
  at: InstantSchema,
  calls: z.array(TargetCallSchema).max(MAX_OUTCOME_CALLS).optional().describe("Target calls made for this message since the stage's previous outcome of it (none: absent or empty)"),
  callsDropped: z.number().int().nonnegative().optional().describe("Calls beyond the ones listed (not kept)"),
});
export type Outcome = z.infer<typeof OutcomeSchema>;
