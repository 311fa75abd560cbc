import { z } from "zod";
import { InstantSchema } from "./codecs";
import { announcedChange, type ChangeEvent } from "./events";
import { TargetCallSchema } from "./outcomes";
import { RecordRefSchema, type Entity, type RecordRef, type System } from "./systems";

/**
 * The four flows a person switches between live and dry-run. A command belongs to the flow of
 * the write it makes: an order's writes to 1C (with the counterparty it needs and the link-back
 * on the deal) to `orders.crmToOnec`; an order's writes to the CRM (with the company and
 * products it needs) to `orders.onecToCrm`; edits of linked customers, either way, to
 * `customers`; edits of 1C products mirrored in the CRM to `products`.
 */
export const FLOW_NAMES = ["orders.crmToOnec", "orders.onecToCrm", "customers", "products"] as const;
export const FlowNameSchema = z.enum(FLOW_NAMES).describe("A flow: orders.crmToOnec | orders.onecToCrm | customers | products");
export type FlowName = z.infer<typeof FlowNameSchema>;

/** live: writes; dry-run: the whole path runs, writers record what they would write and write nothing. */
export const FlowModeSchema = z.enum(["live", "dry-run"]).describe("live | dry-run");
export type FlowMode = z.infer<typeof FlowModeSchema>;

/** A flow's mode as every replica reads it (NATS KV `<NS>_STATE`, key `flow.<flow>`). */
export const FlowModeRecordSchema = z.object({
  flow: FlowNameSchema,
  mode: FlowModeSchema,
  since: InstantSchema.describe("When the flow entered this mode"),
  by: z.string().min(1).max(100).describe("Who set it: `policy` or the API token's name"),
  source: z.enum(["policy", "console"]).describe("policy: follows the policy file; console: set by a person, stands until changed"),
  previous: z
    .object({ mode: FlowModeSchema, since: InstantSchema })
    .nullable()
    .describe("The mode before this one"),
});
export type FlowModeRecord = z.infer<typeof FlowModeRecordSchema>;

/** KV key of a flow's mode record. */
export const flowModeKey = (flow: FlowName) => `flow.${flow}`;

/**
 * Carried by a command decided while its flow was in dry-run: the writer computes what it would
 * write, reports it as a `dry-run` outcome and writes nothing — even when the flow has been
 * switched live meanwhile (then the origin is decided again, live).
 */
export const DryRunMarkSchema = z.object({
  flow: FlowNameSchema,
  decidedAt: InstantSchema.describe("When the resolver read the flow's mode for this decision"),
  origin: RecordRefSchema.describe("The record whose change was decided (decided again after a switch to live)"),
  action: z.enum(["upsert", "delete"]).describe("The change's action"),
});
export type DryRunMark = z.infer<typeof DryRunMarkSchema>;

/** Records whose changes the resolver decides, per flow: what a switch to live decides again. */
export const flowOrigins: Record<FlowName, ReadonlyArray<{ system: System; entity: Entity }>> = {
  // A mapped order pair is decided from either side's change, in both directions.
  "orders.crmToOnec": [
    { system: "bitrix24", entity: "deal" },
    { system: "onec", entity: "order" },
  ],
  "orders.onecToCrm": [
    { system: "onec", entity: "order" },
    { system: "bitrix24", entity: "deal" },
  ],
  customers: [
    { system: "bitrix24", entity: "company" },
    { system: "bitrix24", entity: "contact" },
    { system: "onec", entity: "counterparty" },
  ],
  products: [{ system: "onec", entity: "product" }],
};

/**
 * "Decide this record again, live": the change event a switch to live publishes for a record
 * decided in dry-run. Its dedupe id is fixed by the switch (`replay@<since>`), so the console's
 * replay and a writer's re-decision of an in-flight dry-run command store it once per switch,
 * and the next switch decides it again.
 */
export function replayChangeEvent(ref: RecordRef, action: "upsert" | "delete", switchedAt: string): ChangeEvent {
  return announcedChange(ref, { action, sourceVersion: `replay@${switchedAt}`, via: "manual", occurredAt: switchedAt, receivedAt: new Date().toISOString() });
}

/** The action of the change a resolver outcome was about, from its message id (`chg:…:<action>:…`). */
export function actionOfChangeId(messageId: string): "upsert" | "delete" {
  return /^chg:[^:]+:[^:]+:[^:]+:delete:/.test(messageId) ? "delete" : "upsert";
}

const MAX_BODY = 1500;

/**
 * One line saying what a writer would write in dry-run: the action, the target, and the body
 * as compact JSON, cut to fit an outcome's detail (the outcome masks it like any other).
 */
export function describeWouldBeWrite(action: string, body?: unknown): string {
  if (body === undefined) return `would ${action}`;
  const json = JSON.stringify(body, (_key, value: unknown) => (typeof value === "string" && value.length > 200 ? `${value.slice(0, 200)}…` : value));
  const text = json.length > MAX_BODY ? `${json.slice(0, MAX_BODY)}… (${json.length} chars)` : json;
  return `would ${action}: ${text}`;
}

/** One exchange-log row (table `exchange_log`, written only by mapping from OUTCOMES). */
export const ExchangeEntrySchema = z.object({
  id: z.number().int().positive(),
  at: InstantSchema,
  stage: z.string().describe("Service that reported"),
  messageId: z.string(),
  subject: RecordRefSchema.describe("The record the message was about"),
  target: RecordRefSchema.nullable(),
  result: z.string().describe("Outcome result (accepted, commanded, created, applied, …, dry-run)"),
  detail: z.string().describe("Masked; for dry-run, the would-be write"),
  attempts: z.number().int().nonnegative(),
  traceId: z.string().nullable(),
  calls: z.array(TargetCallSchema).optional().describe("The target calls made for it (method or set, status, duration, attempt, masked error)"),
});
export type ExchangeEntry = z.infer<typeof ExchangeEntrySchema>;

/** `exchange.list` (served by mapping): exchange-log rows, newest first. */
export const ExchangeListRequestSchema = z.object({
  result: z.string().min(1).max(40).optional().describe("Only this result, e.g. dry-run"),
  stages: z.array(z.string().min(1).max(40)).max(8).optional().describe("Only these stages"),
  subjects: z
    .array(z.object({ system: z.enum(["bitrix24", "onec"]), entity: z.string().min(1).max(40) }))
    .max(8)
    .optional()
    .describe("Only records of these kinds"),
  since: InstantSchema.optional().describe("At or after"),
  detailPrefix: z.string().min(1).max(100).optional().describe("Only rows whose detail starts with this, e.g. `dry-run (customers):`"),
  distinctRecords: z.boolean().default(false).describe("Only the newest row of each record"),
  limit: z.number().int().min(1).max(10_000).default(100),
});
export type ExchangeListRequest = z.input<typeof ExchangeListRequestSchema>;
export const ExchangeListReplySchema = z.object({ entries: z.array(ExchangeEntrySchema).describe("Newest first") });
export type ExchangeListReply = z.infer<typeof ExchangeListReplySchema>;
