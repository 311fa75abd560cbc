import { and, count, desc, eq, gte, inArray, lte, sql, type SQL } from "drizzle-orm";
import { deadLetters, type Database } from "@concord/db";
import {
  describeDeadLetter,
  permanent,
  type DeadLetter,
  type DeadLetterRecord,
  type DlqFilter,
  type DlqGetReply,
  type DlqMarkReply,
  type DlqMarkRequest,
} from "@concord/contracts";

type Row = typeof deadLetters.$inferSelect;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function toRecord(row: Row): DeadLetterRecord {
  return {
    id: row.id,
    dlqStreamSeq: row.dlqStreamSeq,
    stage: row.stage,
    subject: row.subject,
    stream: row.stream,
    streamSeq: row.streamSeq,
    messageId: row.messageId,
    original: row.original,
    errorKind: row.errorKind as DeadLetterRecord["errorKind"],
    errorCode: row.errorCode,
    errorMessage: row.errorMessage,
    failureClass: row.failureClass as DeadLetterRecord["failureClass"],
    attempts: row.attempts,
    firstFailedAt: row.firstFailedAt.toISOString(),
    lastFailedAt: row.lastFailedAt.toISOString(),
    traceId: row.traceId,
    flow: row.flow,
    system: row.system as DeadLetterRecord["system"],
    entity: row.entity as DeadLetterRecord["entity"],
    recordId: row.recordId,
    status: row.status as DeadLetterRecord["status"],
    retryOf: row.retryOf,
    retryCount: row.retryCount,
    retriedAt: iso(row.retriedAt),
    discardedAt: iso(row.discardedAt),
    discardReason: row.discardReason,
    resolvedAt: iso(row.resolvedAt),
    createdAt: row.createdAt.toISOString(),
  };
}

/** A retry chain longer than this is a loop someone should look at; history stops there. */
const MAX_CHAIN = 100;

/** The dead-letter store: the only code that writes `dead_letters`. */
export function createDeadLetterStore(db: Database) {
  /**
   * Records a DLQ message once per DLQ stream sequence (a redelivery is a no-op). `retryOf`
   * links to the dead letter this one retried, when that one exists here.
   */
  async function record(letter: DeadLetter, dlqStreamSeq: number): Promise<boolean> {
    const about = describeDeadLetter(letter.subject, letter.original.data);
    const retryOf = letter.retryOf && /^\d{1,15}$/.test(letter.retryOf) ? Number(letter.retryOf) : null;
    const rows = await db
      .insert(deadLetters)
      .values({
        dlqStreamSeq,
        stage: letter.stage,
        subject: letter.subject,
        stream: letter.stream,
        streamSeq: letter.streamSeq,
        messageId: letter.messageId,
        original: letter.original,
        errorKind: letter.error.kind,
        errorCode: letter.error.code,
        errorMessage: letter.error.message,
        failureClass: letter.error.failureClass,
        attempts: letter.attempts,
        firstFailedAt: new Date(letter.firstFailedAt),
        lastFailedAt: new Date(letter.lastFailedAt),
        traceId: letter.traceId,
        flow: about.flow,
        system: about.record?.system ?? null,
        entity: about.record?.entity ?? null,
        recordId: about.record?.id ?? null,
        // A dangling reference (its dead letter lives in another deployment's schema) is dropped, not fatal.
        retryOf: retryOf === null ? null : sql`(select id from ${deadLetters} where id = ${retryOf})`,
      })
      .onConflictDoNothing({ target: deadLetters.dlqStreamSeq })
      .returning({ id: deadLetters.id });
    return rows.length > 0;
  }

  function where(filter: DlqFilter): SQL | undefined {
    const conditions: SQL[] = [];
    if (filter.flow) conditions.push(eq(deadLetters.flow, filter.flow));
    if (filter.system) conditions.push(eq(deadLetters.system, filter.system));
    if (filter.code) conditions.push(eq(deadLetters.errorCode, filter.code));
    if (filter.status) conditions.push(eq(deadLetters.status, filter.status));
    if (filter.from) conditions.push(gte(deadLetters.lastFailedAt, new Date(filter.from)));
    if (filter.to) conditions.push(lte(deadLetters.lastFailedAt, new Date(filter.to)));
    return conditions.length > 0 ? and(...conditions) : undefined;
  }

  /** Newest first, with the number matching the filter beyond the limit. */
  async function list(filter: DlqFilter & { limit: number }): Promise<{ deadLetters: DeadLetterRecord[]; total: number }> {
    const condition = where(filter);
    const rows = await db.select().from(deadLetters).where(condition).orderBy(desc(deadLetters.id)).limit(filter.limit);
    const [total] = await db.select({ n: count() }).from(deadLetters).where(condition);
    return { deadLetters: rows.map(toRecord), total: total?.n ?? 0 };
  }

  async function byId(id: number): Promise<Row | undefined> {
    const rows = await db.select().from(deadLetters).where(eq(deadLetters.id, id));
    return rows[0];
  }

  /** One dead letter with its retry chain: what it retried (back to the first failure) and its failed retries. */
  async function get(id: number): Promise<DlqGetReply> {
    const row = await byId(id);
    if (!row) return { deadLetter: null, history: [] };
    const chain: Row[] = [row];
    let back = row;
    while (back.retryOf !== null && chain.length < MAX_CHAIN) {
      const previous = await byId(back.retryOf);
      if (!previous) break;
      chain.unshift(previous);
      back = previous;
    }
    let frontier = [row.id];
    while (frontier.length > 0 && chain.length < MAX_CHAIN) {
      const next = await db.select().from(deadLetters).where(inArray(deadLetters.retryOf, frontier)).orderBy(deadLetters.id);
      chain.push(...next);
      frontier = next.map((r) => r.id);
    }
    return { deadLetter: toRecord(row), history: chain.map(toRecord) };
  }

  /**
   * What a person did. `retried` and `discarded` apply only to an open dead letter (a repeated
   * mark is a no-op, `changed: false`); `resolved` to an open or retried one.
   */
  async function mark(request: DlqMarkRequest): Promise<DlqMarkReply> {
    const now = new Date();
    const update =
      request.status === "retried"
        ? { status: "retried", retriedAt: now, retryCount: sql`${deadLetters.retryCount} + 1` }
        : request.status === "discarded"
          ? { status: "discarded", discardedAt: now, discardReason: request.reason }
          : { status: "resolved", resolvedAt: now };
    const from = request.status === "resolved" ? ["open", "retried"] : ["open"];
    const rows = await db
      .update(deadLetters)
      .set(update)
      .where(and(eq(deadLetters.id, request.id), inArray(deadLetters.status, from)))
      .returning();
    if (rows[0]) return { deadLetter: toRecord(rows[0]), changed: true };
    const current = await byId(request.id);
    if (!current) throw permanent("DEAD_LETTER_NOT_FOUND", `dead letter ${request.id} does not exist`);
    if (current.status === request.status) return { deadLetter: toRecord(current), changed: false };
    throw permanent("DEAD_LETTER_NOT_OPEN", `dead letter ${request.id} is ${current.status}, so it cannot be marked ${request.status}`);
  }

  return { record, list, get, mark };
}

export type DeadLetterStore = ReturnType<typeof createDeadLetterStore>;
