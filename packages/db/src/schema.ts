import { sql } from "drizzle-orm";
import { bigint, bigserial, index, integer, jsonb, pgTable, primaryKey, serial, text, timestamp, uniqueIndex, type AnyPgColumn } from "drizzle-orm/pg-core";

/**
 * Identity: one row per linked pair. The unique source key makes claims race-safe (a second
 * claimer hits the constraint and reads the winner's row); the partial unique target key makes
 * sure no two source records map to one target record. Rows are never deleted.
 */
export const idMapping = pgTable(
  "id_mapping",
  {
    id: serial("id").primaryKey(),
    sourceSystem: text("source_system").notNull(),
    sourceEntity: text("source_entity").notNull(),
    sourceId: text("source_id").notNull(),
    targetSystem: text("target_system").notNull(),
    targetEntity: text("target_entity").notNull(),
    targetId: text("target_id"),
    /** claimed → confirmed → deleted (soft) */
    state: text("state").notNull().default("claimed"),
    /** flow / backfill / rebuild */
    createdBy: text("created_by").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    confirmedAt: timestamp("confirmed_at", { withTimezone: true }),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull().defaultNow(),
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
    /** The side whose delete ended the pair (bitrix24 / onec): only that record's return revives it. */
    deletedBy: text("deleted_by"),
    /**
     * When a create was sent to the target and not yet confirmed: the outcome is in doubt until
     * a find-before-create after the settle delay says whether it happened (null otherwise).
     */
    createAttemptedAt: timestamp("create_attempted_at", { withTimezone: true }),
    /**
     * Business-key matching was ambiguous: `awaiting` a person, or what the person decided
     * (`link` to `decision_target`, `create`, `ignore`); null when the keys decided alone.
     */
    decision: text("decision"),
    decisionTarget: text("decision_target"),
    /** Short exclusive lease so one writer replica at a time works on the pair. */
    leaseOwner: text("lease_owner"),
    leaseUntil: timestamp("lease_until", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("id_mapping_source_uq").on(t.sourceSystem, t.sourceEntity, t.sourceId, t.targetSystem),
    uniqueIndex("id_mapping_target_uq")
      .on(t.targetSystem, t.targetEntity, t.targetId)
      .where(sql`${t.targetId} is not null`),
  ],
);

/** What Concord last applied to one side of a pair: basis of the echo and stale checks. */
export const syncState = pgTable(
  "sync_state",
  {
    mappingId: integer("mapping_id")
      .notNull()
      .references(() => idMapping.id),
    side: text("side").notNull(),
    lastVersion: text("last_version"),
    lastHash: text("last_hash"),
    /** That side's field values at the last sync: a field that differs on both sides since is a conflict. */
    values: jsonb("values").$type<Record<string, unknown>>(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.mappingId, t.side] }),
    // The console finds a record by the order number or the INN people know it by (values of either side).
    index("sync_state_number_idx").on(sql`(${t.values}->>'number')`),
    index("sync_state_inn_idx").on(sql`(${t.values}->>'inn')`),
  ],
);

/**
 * Exchange log: one row per outcome of every stage (accepted, commanded, created, applied,
 * echo, stale, skipped, retrying, dead-lettered), searchable by either system's id or trace.
 * `outcome_id` makes recording idempotent when an outcome is delivered twice.
 */
export const exchangeLog = pgTable(
  "exchange_log",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    outcomeId: text("outcome_id").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull(),
    stage: text("stage").notNull(),
    messageId: text("message_id").notNull(),
    system: text("system").notNull(),
    entity: text("entity").notNull(),
    recordId: text("record_id").notNull(),
    targetSystem: text("target_system"),
    targetEntity: text("target_entity"),
    targetId: text("target_id"),
    result: text("result").notNull(),
    detail: text("detail").notNull(),
    attempts: integer("attempts").notNull(),
    durationMs: integer("duration_ms").notNull(),
    traceId: text("trace_id"),
    /**
     * The target calls made for this outcome (method or set, status, duration, attempt, masked
     * error): on the row the writer reports anyway — no message or row more per call.
     */
    calls: jsonb("calls").$type<Array<{ target: string; call: string; status: number | null; durationMs: number; attempt: number; error: string | null; at: string }>>().notNull().default([]),
  },
  (t) => [
    uniqueIndex("exchange_log_outcome_uq").on(t.outcomeId),
    // Retention deletes by age, in batches.
    index("exchange_log_at_idx").on(t.at),
    index("exchange_log_record_idx").on(t.system, t.entity, t.recordId),
    index("exchange_log_target_idx").on(t.targetId),
    index("exchange_log_trace_idx").on(t.traceId),
    // The 1C order number of an order Concord created ("order created as <Number>, …"): the console's search by number.
    index("exchange_log_created_number_idx")
      .on(sql`(substring(${t.detail} from '^order created as ([^,]+),'))`)
      .where(sql`${t.result} = 'created'`),
  ],
);

/** Conflicts: a field edited on both sides since the last sync, resolved by ownership. */
export const conflicts = pgTable(
  "conflicts",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    mappingId: integer("mapping_id")
      .notNull()
      .references(() => idMapping.id),
    entity: text("entity").notNull(),
    field: text("field").notNull(),
    crmValue: jsonb("crm_value"),
    onecValue: jsonb("onec_value"),
    winner: text("winner").notNull(),
    rule: text("rule").notNull(),
    messageId: text("message_id").notNull(),
    traceId: text("trace_id"),
    detectedAt: timestamp("detected_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("conflicts_once_uq").on(t.mappingId, t.field, t.messageId), index("conflicts_mapping_idx").on(t.mappingId)],
);

/**
 * Dead letters: one row per DLQ record (unique on its DLQ stream sequence, so recording is
 * idempotent), with what it is about (flow, record) for people to filter, and what people did
 * with it (open → retried | discarded | resolved). A retry that failed again points at the dead
 * letter it retried (`retry_of`), so the history of one failure is a chain.
 */
export const deadLetters = pgTable(
  "dead_letters",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    dlqStreamSeq: bigint("dlq_stream_seq", { mode: "number" }).notNull(),
    stage: text("stage").notNull(),
    subject: text("subject").notNull(),
    stream: text("stream").notNull(),
    streamSeq: bigint("stream_seq", { mode: "number" }).notNull(),
    messageId: text("message_id"),
    /** The original message: `{ data, headers }` masked for people, and `sealed`: the unmasked original, encrypted (CONCORD_DLQ_KEY). */
    original: jsonb("original").$type<{ data: string; headers: Record<string, string>; sealed?: string }>().notNull(),
    errorKind: text("error_kind").notNull(),
    errorCode: text("error_code").notNull(),
    errorMessage: text("error_message").notNull(),
    /** business | pipeline */
    failureClass: text("failure_class").notNull(),
    attempts: integer("attempts").notNull(),
    firstFailedAt: timestamp("first_failed_at", { withTimezone: true }).notNull(),
    lastFailedAt: timestamp("last_failed_at", { withTimezone: true }).notNull(),
    traceId: text("trace_id"),
    /** e.g. bitrix24.deal→onec.order, derived from the subject and payload */
    flow: text("flow"),
    system: text("system"),
    entity: text("entity"),
    recordId: text("record_id"),
    /** open | retried | discarded | resolved */
    status: text("status").notNull().default("open"),
    retryOf: bigint("retry_of", { mode: "number" }).references((): AnyPgColumn => deadLetters.id),
    retryCount: integer("retry_count").notNull().default(0),
    retriedAt: timestamp("retried_at", { withTimezone: true }),
    discardedAt: timestamp("discarded_at", { withTimezone: true }),
    discardReason: text("discard_reason"),
    resolvedAt: timestamp("resolved_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("dead_letters_dlq_seq_uq").on(t.dlqStreamSeq),
    index("dead_letters_status_idx").on(t.status, t.lastFailedAt),
    index("dead_letters_record_idx").on(t.system, t.entity, t.recordId),
    index("dead_letters_code_idx").on(t.errorCode),
    index("dead_letters_retry_of_idx").on(t.retryOf),
    // The console's search by trace id.
    index("dead_letters_trace_idx").on(t.traceId),
  ],
);

/**
 * The audit trail: one row per operator or admin action (retry, discard, resync, decisions,
 * later flows, users and tokens) — who (token or user name, role), when, what, on which record,
 * and what came of it. Written only by mapping, never updated or deleted.
 */
export const auditLog = pgTable(
  "audit_log",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    at: timestamp("at", { withTimezone: true }).notNull(),
    actor: text("actor").notNull(),
    role: text("role").notNull(),
    action: text("action").notNull(),
    /** dead-letter | record | filter */
    targetKind: text("target_kind").notNull(),
    targetId: text("target_id").notNull(),
    /** ok | failed */
    result: text("result").notNull(),
    detail: text("detail").notNull(),
    traceId: text("trace_id"),
  },
  (t) => [index("audit_log_target_idx").on(t.targetKind, t.targetId, t.at), index("audit_log_actor_idx").on(t.actor, t.at)],
);

/**
 * Decisions people take when business keys cannot decide: the candidates found, why they could
 * not decide, and what a person chose. At most one open decision per pair; never deleted.
 */
export const decisions = pgTable(
  "decisions",
  {
    id: serial("id").primaryKey(),
    mappingId: integer("mapping_id")
      .notNull()
      .references(() => idMapping.id),
    sourceSystem: text("source_system").notNull(),
    sourceEntity: text("source_entity").notNull(),
    sourceId: text("source_id").notNull(),
    targetSystem: text("target_system").notNull(),
    targetEntity: text("target_entity").notNull(),
    summary: text("summary").notNull(),
    reason: text("reason").notNull(),
    candidates: jsonb("candidates").$type<Array<{ id: string; label: string; keys: string[]; linkedTo: string | null }>>().notNull(),
    /**
     * open | decided | superseded: the record was linked by the other side's own match (its
     * counterpart's first change) before this decision was applied — `superseded_by` names that pair.
     */
    status: text("status").notNull().default("open"),
    /** link | create | ignore */
    action: text("action"),
    chosenId: text("chosen_id"),
    decidedBy: text("decided_by"),
    openedAt: timestamp("opened_at", { withTimezone: true }).notNull().defaultNow(),
    decidedAt: timestamp("decided_at", { withTimezone: true }),
    supersededBy: integer("superseded_by").references((): AnyPgColumn => idMapping.id),
  },
  (t) => [
    uniqueIndex("decisions_open_uq")
      .on(t.mappingId)
      .where(sql`${t.status} = 'open'`),
    index("decisions_status_idx").on(t.status, t.openedAt),
  ],
);

/**
 * Go-live runs (`concord backfill`, `concord mapping rebuild` / `verify`): one row per run, its
 * checkpoint (the next page of every list it reads) and, once matched, its report. Written by
 * the CLI's go-live tools, not by mapping: they hold no identity, only what a run has read.
 */
export const goLiveRuns = pgTable(
  "go_live_runs",
  {
    id: serial("id").primaryKey(),
    /** backfill | rebuild | verify */
    kind: text("kind").notNull(),
    /** customers | products | orders */
    entity: text("entity").notNull(),
    apply: integer("apply").notNull().default(0),
    /** reading → matched → applied | reported; skipped (a person chose to skip this entity's backfill) */
    status: text("status").notNull(),
    /** Per list (e.g. bitrix24.company): the next offset and whether it is done. */
    checkpoint: jsonb("checkpoint").$type<Record<string, { next: number; done: boolean; read: number; total: number | null }>>().notNull(),
    /** The applied pairs' progress: how many of the report's pairs are written. */
    appliedUpTo: integer("applied_up_to").notNull().default(0),
    report: jsonb("report").$type<Record<string, unknown>>(),
    actor: text("actor").notNull(),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [index("go_live_runs_entity_idx").on(t.kind, t.entity, t.startedAt)],
);

/** The records a run has read, page by page: a resumed run reads the rest, not all again. */
export const goLivePages = pgTable(
  "go_live_pages",
  {
    runId: integer("run_id")
      .notNull()
      .references(() => goLiveRuns.id, { onDelete: "cascade" }),
    list: text("list").notNull(),
    page: integer("page").notNull(),
    records: jsonb("records").$type<unknown[]>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.list, t.page] })],
);

/**
 * Alerts (console's evaluator, the only writer): one row per episode of a condition — fired,
 * seen again on each evaluation, resolved when it clears. At most one active row per key, so a
 * restart finds what already fired and does not fire it again; a condition that returns after
 * it resolved is a new episode (a new row).
 */
export const alerts = pgTable(
  "alerts",
  {
    id: serial("id").primaryKey(),
    /** `<rule>:<subject>`, e.g. `dead-letter:bitrix24.deal.42`. */
    key: text("key").notNull(),
    /** dead-letter | backlog-age | error-rate | circuit-open | flow-silent | service-not-ready | decision-waiting */
    rule: text("rule").notNull(),
    subject: text("subject").notNull(),
    /** active | resolved */
    status: text("status").notNull().default("active"),
    /** What is wrong, in words (masked), as of the last evaluation that saw it. */
    summary: text("summary").notNull(),
    details: jsonb("details").$type<Record<string, unknown>>().notNull(),
    firedAt: timestamp("fired_at", { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull().defaultNow(),
    /** When the last notice (fired or repeat) was queued: repeats are throttled from it. */
    lastNoticeAt: timestamp("last_notice_at", { withTimezone: true }).notNull().defaultNow(),
    /** Notices queued for this episode (the fired one and each repeat). */
    notices: integer("notices").notNull().default(1),
    resolvedAt: timestamp("resolved_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("alerts_active_key_uq")
      .on(t.key)
      .where(sql`${t.status} = 'active'`),
    index("alerts_status_idx").on(t.status, t.firedAt),
  ],
);

/**
 * Every notice of an alert to every channel, as an outbox: pending until sent, retried with
 * backoff (`attempts`, `next_attempt_at`, the last masked error), then `failed` for good.
 * Unique per alert, channel, notice and sequence, so queueing a notice twice sends it once.
 */
export const alertDeliveries = pgTable(
  "alert_deliveries",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    alertId: integer("alert_id")
      .notNull()
      .references(() => alerts.id),
    channel: text("channel").notNull(),
    /** fired | repeat | resolved */
    notice: text("notice").notNull(),
    /** Which notice of the episode (1: fired, 2…: repeats; resolved: 0). */
    sequence: integer("sequence").notNull(),
    /** pending | sent | failed (for good, after the last attempt) | superseded (a reminder the resolve made moot) */
    status: text("status").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    lastError: text("last_error"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp("sent_at", { withTimezone: true }),
  },
  (t) => [uniqueIndex("alert_deliveries_once_uq").on(t.alertId, t.channel, t.notice, t.sequence), index("alert_deliveries_due_idx").on(t.status, t.nextAttemptAt)],
);

/**
 * Failure groups (the console, the only writer): what a person last said about a cause of dead
 * letters — an error code and the value its messages name (failure-causes.ts) — acknowledged or
 * resolved, by whom and when. A group without a row is open; a resolved group whose newest dead
 * letter was recorded after `changed_at` is shown open again. The history is in the audit trail.
 */
export const failureGroups = pgTable("failure_groups", {
  /** `<code>|<subject>=<value>`, or `<code>|<message without ids>` when it names nothing. */
  key: text("key").primaryKey(),
  code: text("code").notNull(),
  /** open | acknowledged | resolved */
  state: text("state").notNull(),
  changedBy: text("changed_by").notNull(),
  changedAt: timestamp("changed_at", { withTimezone: true }).notNull().defaultNow(),
  /** What the person said (masked), e.g. the fix made. */
  note: text("note"),
});
