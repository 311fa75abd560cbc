import { z } from "zod";
import { InstantSchema } from "./codecs";
import { RecordRefSchema } from "./systems";

/**
 * Reconcile runs (`concord reconcile`, or the resolver's schedule): every confirmed pair of an
 * entity compared field by field under the ownership rules. Kept in `go_live_runs`; served by
 * mapping (`rpc.reconcileRuns`) to the console's `GET /api/reconcile`.
 */

export const ReconcileEntitySchema = z.enum(["orders", "customers"]).describe("What a run compares: order pairs (deal ↔ order) or customer pairs");
export type ReconcileEntity = z.infer<typeof ReconcileEntitySchema>;

/** Who started a run: a person with `concord reconcile`, or the resolver's schedule (RECONCILE_INTERVAL_MS). */
export const ReconcileTriggerSchema = z.enum(["cli", "schedule"]);
export type ReconcileTrigger = z.infer<typeof ReconcileTriggerSchema>;

export const DriftFieldSchema = z.object({
  field: z.string().describe("The view's field, e.g. title, stage, inn"),
  crm: z.unknown().describe("The CRM's value"),
  onec: z.unknown().describe("1C's value"),
  write: z.enum(["to 1C", "to the CRM", "none"]).describe("The write the ownership rules make; none: a difference that direction cannot write"),
});
export type DriftField = z.infer<typeof DriftFieldSchema>;

export const DriftSchema = z.object({
  mappingId: z.number().int().positive(),
  source: RecordRefSchema.describe("The pair's source record"),
  target: RecordRefSchema.describe("The pair's target record"),
  fields: z.array(DriftFieldSchema).describe("Each field the two sides hold differently"),
  conflicts: z.array(z.string()).describe("Fields edited on both sides since the last sync (the owner wins)"),
});
export type Drift = z.infer<typeof DriftSchema>;

export const ReconcileReportSchema = z.object({
  runId: z.number().int().positive().describe("The go_live_runs row"),
  entity: ReconcileEntitySchema,
  heal: z.boolean().describe("Whether each drifted pair was sent through the flows (a change event)"),
  trigger: ReconcileTriggerSchema.default("cli").describe("Who started it (runs before the schedule existed: cli)"),
  checked: z.number().int().min(0).describe("Pairs read on both sides and compared"),
  drifted: z.array(DriftSchema).describe("Pairs with at least one field the rules would write"),
  unreadable: z
    .array(z.object({ mappingId: z.number().int().positive(), source: RecordRefSchema, note: z.string() }))
    .describe("Pairs whose record is gone on a side, or could not be read (with why)"),
  healed: z.array(z.object({ mappingId: z.number().int().positive(), messageId: z.string() })).describe("Heal: the change event published per drifted pair (its dedupe id)"),
  stopped: z.boolean().default(false).describe("Cut short by a shutdown: the pairs after the last checked one were not compared, nothing was healed"),
  startedAt: InstantSchema,
  finishedAt: InstantSchema,
});
export type ReconcileReport = z.infer<typeof ReconcileReportSchema>;

/** One run as the console shows it: the row, and its report once it has ended. */
export const ReconcileRunSchema = z.object({
  id: z.number().int().positive(),
  entity: ReconcileEntitySchema,
  trigger: ReconcileTriggerSchema,
  actor: z.string().describe("The process that ran it: concord-cli@host, or schedule (round n) resolver@host:pid"),
  heal: z.boolean(),
  status: z.string().describe("checking (running, or its process died), reported, stopped (by a shutdown: a partial report), failed (the database or NATS failed it: no report)"),
  startedAt: InstantSchema,
  finishedAt: InstantSchema.nullable(),
  /** Counts, also when the lists below are cut to `driftLimit`. */
  checked: z.number().int().min(0).nullable().describe("Pairs compared (null while running)"),
  driftedCount: z.number().int().min(0).nullable().describe("Pairs drifted (null while running)"),
  unreadableCount: z.number().int().min(0).nullable(),
  healedCount: z.number().int().min(0).nullable(),
  report: ReconcileReportSchema.nullable().describe("The stored report, its drifted and unreadable lists cut to the request's driftLimit; null while running"),
});
export type ReconcileRun = z.infer<typeof ReconcileRunSchema>;

export const ReconcileRunsRequestSchema = z.object({
  entity: ReconcileEntitySchema.optional().describe("Only runs of this entity"),
  trigger: ReconcileTriggerSchema.optional().describe("Only runs started this way"),
  limit: z.number().int().min(1).max(100).default(10).describe("Newest first"),
  driftLimit: z.number().int().min(0).max(1_000).default(200).describe("Drifted and unreadable pairs per report at most (a reply must fit one NATS message)"),
});
export type ReconcileRunsRequest = z.infer<typeof ReconcileRunsRequestSchema>;
export const ReconcileRunsReplySchema = z.object({ runs: z.array(ReconcileRunSchema) });
export type ReconcileRunsReply = z.infer<typeof ReconcileRunsReplySchema>;

/** NATS KV `<NS>_STATE` key of the schedule's last claimed round (written by the resolver's replicas, read by the console). */
export const RECONCILE_SCHEDULE_KEY = "reconcile.schedule";

/**
 * The schedule's shared state (NATS KV `<NS>_STATE`, key `reconcile.schedule`): the last round a
 * replica claimed, by compare-and-set on the key's revision, so one replica runs each round.
 */
export const ReconcileScheduleRecordSchema = z.object({
  intervalMs: z.number().int().positive().describe("RECONCILE_INTERVAL_MS of the replica that claimed the round"),
  round: z.number().int().min(0).describe("floor(epoch ms / intervalMs) of the claimed round"),
  owner: z.string().describe("The replica running or having run it"),
  heal: z.boolean(),
  startedAt: InstantSchema,
  finishedAt: InstantSchema.nullable().describe("null while the round runs"),
  until: z.number().int().describe("Epoch ms the owner's hold on a running round lasts (renewed while it runs); after it another replica may take the next round"),
  runIds: z.array(z.number().int().positive()).describe("The go_live_runs rows of the round"),
  error: z.string().nullable().default(null).describe("Why the round failed, if it did"),
});
export type ReconcileScheduleRecord = z.infer<typeof ReconcileScheduleRecordSchema>;
