import { and, desc, eq, type SQL } from "drizzle-orm";
import { auditLog, type Database } from "@concord/db";
import type { AuditEntry, AuditListRequest, AuditRecordRequest } from "@concord/contracts";

type Row = typeof auditLog.$inferSelect;

function toEntry(row: Row): AuditEntry {
  return {
    id: row.id,
    at: row.at.toISOString(),
    actor: row.actor,
    role: row.role as AuditEntry["role"],
    action: row.action as AuditEntry["action"],
    targetKind: row.targetKind as AuditEntry["targetKind"],
    targetId: row.targetId,
    result: row.result as AuditEntry["result"],
    detail: row.detail,
    traceId: row.traceId,
  };
}

/** The audit trail: append-only (no update, no delete), written only here. */
export function createAuditStore(db: Database) {
  async function record(entry: AuditRecordRequest): Promise<{ entry: AuditEntry }> {
    const [row] = await db
      .insert(auditLog)
      .values({ ...entry, at: new Date(entry.at) })
      .returning();
    return { entry: toEntry(row as Row) };
  }

  async function list(request: AuditListRequest): Promise<{ entries: AuditEntry[] }> {
    const conditions: SQL[] = [];
    if (request.targetKind) conditions.push(eq(auditLog.targetKind, request.targetKind));
    if (request.targetId) conditions.push(eq(auditLog.targetId, request.targetId));
    if (request.actor) conditions.push(eq(auditLog.actor, request.actor));
    const rows = await db
      .select()
      .from(auditLog)
      .where(conditions.length > 0 ? and(...conditions) : undefined)
      .orderBy(desc(auditLog.id))
      .limit(request.limit ?? 100);
    return { entries: rows.map(toEntry) };
  }

  return { record, list };
}
export type AuditStore = ReturnType<typeof createAuditStore>;
