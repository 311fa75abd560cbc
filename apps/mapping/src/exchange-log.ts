import type postgres from "postgres";
import { and, desc, eq, gte, inArray, like, or, type SQL } from "drizzle-orm";
import type { z } from "zod";
import { exchangeLog, type Database } from "@concord/db";
import { outcomeId, type ExchangeEntry, type ExchangeListRequestSchema, type Outcome } from "@concord/contracts";

/** Appends an outcome to the exchange log; a repeated delivery of the same outcome is a no-op. */
export async function recordOutcome(db: Database, outcome: Outcome): Promise<void> {
  await db
    .insert(exchangeLog)
    .values({
      outcomeId: outcomeId(outcome),
      at: new Date(outcome.at),
      stage: outcome.stage,
      messageId: outcome.messageId,
      system: outcome.subject.system,
      entity: outcome.subject.entity,
      recordId: outcome.subject.id,
      targetSystem: outcome.target?.system ?? null,
      targetEntity: outcome.target?.entity ?? null,
      targetId: outcome.target?.id ?? null,
      result: outcome.result,
      detail: outcome.detail,
      attempts: outcome.attempts,
      durationMs: Math.round(outcome.durationMs),
      traceId: outcome.traceId,
      calls: outcome.calls ?? [],
    })
    .onConflictDoNothing();
}

type Row = typeof exchangeLog.$inferSelect;

function toEntry(row: Row): ExchangeEntry {
  return {
    id: row.id,
    at: row.at.toISOString(),
    stage: row.stage,
    messageId: row.messageId,
    subject: { system: row.system as ExchangeEntry["subject"]["system"], entity: row.entity as ExchangeEntry["subject"]["entity"], id: row.recordId },
    target:
      row.targetSystem && row.targetEntity && row.targetId
        ? { system: row.targetSystem as ExchangeEntry["subject"]["system"], entity: row.targetEntity as ExchangeEntry["subject"]["entity"], id: row.targetId }
        : null,
    result: row.result,
    detail: row.detail,
    attempts: row.attempts,
    traceId: row.traceId,
    calls: row.calls as ExchangeEntry["calls"],
  };
}

/**
 * Exchange-log rows by result, stage, record kind and time, newest first; with
 * `distinctRecords`, only the newest row of each record (what a switch to live decides again).
 */
export async function listExchange(db: Database, request: z.output<typeof ExchangeListRequestSchema>): Promise<{ entries: ExchangeEntry[] }> {
  const conditions: SQL[] = [];
  if (request.result) conditions.push(eq(exchangeLog.result, request.result));
  if (request.stages && request.stages.length > 0) conditions.push(inArray(exchangeLog.stage, request.stages));
  if (request.subjects && request.subjects.length > 0) {
    conditions.push(or(...request.subjects.map((s) => and(eq(exchangeLog.system, s.system), eq(exchangeLog.entity, s.entity)))) as SQL);
  }
  if (request.since) conditions.push(gte(exchangeLog.at, new Date(request.since)));
  if (request.detailPrefix) conditions.push(like(exchangeLog.detail, `${request.detailPrefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`));
  const where = conditions.length > 0 ? and(...conditions) : undefined;
  if (!request.distinctRecords) {
    const rows = await db.select().from(exchangeLog).where(where).orderBy(desc(exchangeLog.at), desc(exchangeLog.id)).limit(request.limit);
    return { entries: rows.map(toEntry) };
  }
  const rows = await db
    .selectDistinctOn([exchangeLog.system, exchangeLog.entity, exchangeLog.recordId])
    .from(exchangeLog)
    .where(where)
    .orderBy(exchangeLog.system, exchangeLog.entity, exchangeLog.recordId, desc(exchangeLog.at), desc(exchangeLog.id))
    .limit(request.limit);
  return { entries: rows.map(toEntry).sort((a, b) => b.at.localeCompare(a.at)) };
}

/** Rows one retention statement deletes: short transactions, no long lock on the log. */
export const RETENTION_BATCH = 5_000;

/**
 * Deletes exchange-log rows older than `before`, `batch` rows per transaction, until none is
 * left. One replica at a time: each batch first takes a transaction-level advisory lock (per
 * schema) without waiting, and a replica that does not get it leaves the work to the one that
 * has it. Idempotent either way — a row is deleted once, whoever does it. Returns the rows deleted.
 */
export async function pruneExchangeLog(sql: postgres.Sql, before: Date, batch = RETENTION_BATCH): Promise<{ deleted: number; skipped: boolean }> {
  let deleted = 0;
  for (;;) {
    const count = await sql.begin(async (tx) => {
      const [lock] = await tx<Array<{ locked: boolean }>>`select pg_try_advisory_xact_lock(hashtext('concord-exchange-log-retention:' || current_schema())) as locked`;
      if (!lock?.locked) return null;
      // An ISO string, not a Date: drizzle's postgres.js client passes timestamps through as text.
      const rows = await tx`delete from exchange_log where id in (select id from exchange_log where at < ${before.toISOString()}::timestamptz order by at limit ${batch})`;
      return rows.count;
    });
    if (count === null) return { deleted, skipped: true };
    deleted += count;
    if (count < batch) return { deleted, skipped: false };
  }
}
