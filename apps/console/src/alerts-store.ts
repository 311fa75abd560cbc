import { and, asc, desc, eq, gte, inArray, lte, sql } from "drizzle-orm";
import { alertDeliveries, alerts, type Database } from "@concord/db";
import type { AlertView } from "@concord/contracts";
import { alertKey, type ActiveAlert, type AlertRule, type Condition, type Notice } from "./alerts-logic";

export interface DueDelivery {
  id: number;
  alertId: number;
  channel: string;
  notice: Notice;
  attempts: number;
}

type AlertRow = typeof alerts.$inferSelect;

const toIso = (d: Date | null) => (d === null ? null : d.toISOString());

/** The evaluator's tables: alerts (episodes) and alert_deliveries (the outbox). Written only by the evaluator holding the lease. */
export function createAlertStore(db: Database) {
  const queue = (tx: Pick<Database, "insert">, alertId: number, channels: readonly string[], notice: Notice, sequence: number) =>
    channels.length === 0
      ? Promise.resolve()
      : tx
          .insert(alertDeliveries)
          .values(channels.map((channel) => ({ alertId, channel, notice, sequence })))
          .onConflictDoNothing();

  return {
    async active(): Promise<ActiveAlert[]> {
      const rows = await db.select().from(alerts).where(eq(alerts.status, "active"));
      return rows.map((r) => ({ id: r.id, key: r.key, rule: r.rule as AlertRule, subject: r.subject, lastNoticeAt: r.lastNoticeAt, notices: r.notices }));
    },
    /** A new episode and its fired notice to every channel, in one transaction (the partial unique key makes a second fire a no-op). */
    async fire(condition: Condition, channels: readonly string[], now: Date): Promise<number | null> {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .insert(alerts)
          .values({ key: alertKey(condition), rule: condition.rule, subject: condition.subject, summary: condition.summary, details: condition.details, firedAt: now, lastSeenAt: now, lastNoticeAt: now })
          .onConflictDoNothing({ target: alerts.key, where: sql`${alerts.status} = 'active'` })
          .returning({ id: alerts.id });
        if (!row) return null;
        await queue(tx, row.id, channels, "fired", 1);
        return row.id;
      });
    },
    async seen(id: number, condition: Condition, now: Date): Promise<void> {
      await db.update(alerts).set({ summary: condition.summary, details: condition.details, lastSeenAt: now }).where(and(eq(alerts.id, id), eq(alerts.status, "active")));
    },
    async repeat(alert: ActiveAlert, channels: readonly string[], now: Date): Promise<void> {
      await db.transaction(async (tx) => {
        const [row] = await tx
          .update(alerts)
          .set({ notices: sql`${alerts.notices} + 1`, lastNoticeAt: now })
          .where(and(eq(alerts.id, alert.id), eq(alerts.status, "active"), eq(alerts.notices, alert.notices)))
          .returning({ notices: alerts.notices });
        if (row) await queue(tx, alert.id, channels, "repeat", row.notices);
      });
    },
    /** Resolves the episode and queues its resolved notice to every channel. */
    async resolve(alert: ActiveAlert, channels: readonly string[], now: Date): Promise<void> {
      await db.transaction(async (tx) => {
        const [row] = await tx
          .update(alerts)
          .set({ status: "resolved", resolvedAt: now })
          .where(and(eq(alerts.id, alert.id), eq(alerts.status, "active")))
          .returning({ id: alerts.id });
        if (!row) return;
        // A reminder not sent yet is moot; a fired notice not sent yet still goes (then the resolved one after it).
        await tx
          .update(alertDeliveries)
          .set({ status: "superseded", lastError: "the alert resolved before this reminder went out" })
          .where(and(eq(alertDeliveries.alertId, alert.id), eq(alertDeliveries.status, "pending"), eq(alertDeliveries.notice, "repeat")));
        await queue(tx, alert.id, channels, "resolved", 0);
      });
    },
    async due(now: Date, limit = 50): Promise<DueDelivery[]> {
      const rows = await db
        .select({ id: alertDeliveries.id, alertId: alertDeliveries.alertId, channel: alertDeliveries.channel, notice: alertDeliveries.notice, attempts: alertDeliveries.attempts })
        .from(alertDeliveries)
        .where(and(eq(alertDeliveries.status, "pending"), lte(alertDeliveries.nextAttemptAt, now)))
        .orderBy(asc(alertDeliveries.id))
        .limit(limit);
      return rows.map((r) => ({ ...r, notice: r.notice as Notice }));
    },
    async sentSince(channel: string, since: Date): Promise<number> {
      const [row] = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(alertDeliveries)
        .where(and(eq(alertDeliveries.channel, channel), eq(alertDeliveries.status, "sent"), gte(alertDeliveries.sentAt, since)));
      return row?.n ?? 0;
    },
    /** True while this delivery's alert has a fired notice on this channel not yet sent (a resolved notice waits for it). */
    async firedPending(alertId: number, channel: string): Promise<boolean> {
      const rows = await db
        .select({ id: alertDeliveries.id })
        .from(alertDeliveries)
        .where(and(eq(alertDeliveries.alertId, alertId), eq(alertDeliveries.channel, channel), eq(alertDeliveries.notice, "fired"), eq(alertDeliveries.status, "pending")))
        .limit(1);
      return rows.length > 0;
    },
    async alert(id: number): Promise<AlertRow | undefined> {
      const [row] = await db.select().from(alerts).where(eq(alerts.id, id));
      return row;
    },
    async markSent(id: number, attempts: number, now: Date): Promise<void> {
      await db.update(alertDeliveries).set({ status: "sent", attempts, sentAt: now }).where(eq(alertDeliveries.id, id));
    },
    async markFailed(id: number, attempts: number, error: string, next: { status: "pending"; nextAttemptAt: Date } | { status: "failed" }): Promise<void> {
      await db
        .update(alertDeliveries)
        .set({ attempts, lastError: error.slice(0, 500), status: next.status, ...(next.status === "pending" ? { nextAttemptAt: next.nextAttemptAt } : {}) })
        .where(eq(alertDeliveries.id, id));
    },
    /** Active alerts (and, with `resolved`, the latest resolved ones), each with its deliveries. */
    async list(options: { status: "active" | "resolved" | "all"; limit: number }): Promise<AlertView[]> {
      const rows = await db
        .select()
        .from(alerts)
        .where(options.status === "all" ? undefined : eq(alerts.status, options.status))
        .orderBy(desc(alerts.firedAt), desc(alerts.id))
        .limit(options.limit);
      if (rows.length === 0) return [];
      const deliveries = await db
        .select()
        .from(alertDeliveries)
        .where(inArray(alertDeliveries.alertId, rows.map((r) => r.id)))
        .orderBy(asc(alertDeliveries.id));
      return rows.map((r) => ({
        id: r.id,
        key: r.key,
        rule: r.rule,
        subject: r.subject,
        status: r.status as "active" | "resolved",
        summary: r.summary,
        details: r.details,
        firedAt: r.firedAt.toISOString(),
        lastSeenAt: r.lastSeenAt.toISOString(),
        resolvedAt: toIso(r.resolvedAt),
        notices: r.notices,
        deliveries: deliveries
          .filter((d) => d.alertId === r.id)
          .map((d) => ({ channel: d.channel, notice: d.notice, sequence: d.sequence, status: d.status, attempts: d.attempts, lastError: d.lastError, sentAt: toIso(d.sentAt) })),
      }));
    },
  };
}
export type AlertStore = ReturnType<typeof createAlertStore>;
