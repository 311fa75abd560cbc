import { and, desc, eq, type SQL } from "drizzle-orm";
import { goLiveRuns, type Database } from "@concord/db";
import { ReconcileReportSchema, type ReconcileRun, type ReconcileRunsReply, type ReconcileRunsRequest, type ReconcileTrigger } from "@concord/contracts";

/** A run's trigger: its report says; a run without one yet (running, or died) is the schedule's when its actor says so. */
const triggerOf = (actor: string, reported: ReconcileTrigger | undefined): ReconcileTrigger => reported ?? (actor.startsWith("schedule ") ? "schedule" : "cli");

/**
 * Reconcile runs, newest first, from go_live_runs (written by `concord reconcile` and the
 * resolver's schedule): what the console serves as `GET /api/reconcile`. Each report's drifted
 * and unreadable lists are cut to `driftLimit` so a reply fits one NATS message; the counts stay whole.
 */
export async function listReconcileRuns(db: Database, request: ReconcileRunsRequest): Promise<ReconcileRunsReply> {
  const where: SQL[] = [eq(goLiveRuns.kind, "reconcile")];
  if (request.entity) where.push(eq(goLiveRuns.entity, request.entity));
  const runs: ReconcileRun[] = [];
  // The trigger filter needs the report or the actor, so rows are read in pages until enough match.
  const page = Math.max(request.limit, 20);
  for (let offset = 0; runs.length < request.limit; offset += page) {
    const rows = await db
      .select()
      .from(goLiveRuns)
      .where(and(...where))
      .orderBy(desc(goLiveRuns.id))
      .limit(page)
      .offset(offset);
    for (const row of rows) {
      const parsed = row.report ? ReconcileReportSchema.safeParse(row.report) : null;
      const report = parsed?.success ? parsed.data : null;
      const trigger = triggerOf(row.actor, report?.trigger);
      if (request.trigger && trigger !== request.trigger) continue;
      runs.push({
        id: row.id,
        entity: row.entity as ReconcileRun["entity"],
        trigger,
        actor: row.actor,
        heal: row.apply === 1,
        status: row.status,
        startedAt: row.startedAt.toISOString(),
        finishedAt: row.finishedAt?.toISOString() ?? null,
        checked: report?.checked ?? null,
        driftedCount: report?.drifted.length ?? null,
        unreadableCount: report?.unreadable.length ?? null,
        healedCount: report?.healed.length ?? null,
        report: report ? { ...report, drifted: report.drifted.slice(0, request.driftLimit), unreadable: report.unreadable.slice(0, request.driftLimit) } : null,
      });
      if (runs.length === request.limit) break;
    }
    if (rows.length < page) break;
  }
  return { runs };
}
