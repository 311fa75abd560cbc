import { sql } from "drizzle-orm";
import { failureGroups, queryRows, type Database } from "@concord/db";
import { groupFailures, statusOf, type FailureGroup, type FailureRow, type GroupMark, type GroupState, type GroupStatus } from "./failure-causes";

/**
 * Failures by cause: the open dead letters grouped (failure-causes.ts), with what people said
 * about each group (table failure_groups, written only here).
 */

/** Most open dead letters grouped at once (the newest); the page says when there were more. */
export const GROUPED_LIMIT = 10_000;


export interface GroupView extends FailureGroup {
  status: GroupStatus;
  mark: GroupMark | undefined;
}

export interface FailuresView {
  groups: GroupView[];
  /** Open dead letters read (at most GROUPED_LIMIT). */
  letters: number;
  /** More were open than were read. */
  truncated: boolean;
}

/** The open dead letters, newest first (dead_letters_status_idx), bounded. */
async function openLetters(db: Database): Promise<FailureRow[]> {
  const rows = await queryRows<{
    id: string;
    error_code: string;
    error_message: string;
    failure_class: string | null;
    flow: string | null;
    system: string | null;
    entity: string | null;
    record_id: string | null;
    last_failed_at: Date;
    created_at: Date;
  }>(db, sql`
      select id, error_code, error_message, failure_class, flow, system, entity, record_id, last_failed_at, created_at
      from dead_letters where status = 'open'
      order by last_failed_at desc, id desc limit ${GROUPED_LIMIT + 1}`);
  return rows.map((r) => ({
    id: Number(r.id),
    errorCode: r.error_code,
    errorMessage: r.error_message,
    failureClass: r.failure_class,
    flow: r.flow,
    system: r.system,
    entity: r.entity,
    recordId: r.record_id,
    lastFailedAt: new Date(r.last_failed_at),
    createdAt: new Date(r.created_at),
  }));
}

async function marksOf(db: Database, keys: readonly string[]): Promise<Map<string, GroupMark>> {
  if (keys.length === 0) return new Map();
  const rows = await queryRows<{ key: string; state: string; changed_by: string; changed_at: Date; note: string | null }>(db, sql`select key, state, changed_by, changed_at, note from failure_groups where key in (${sql.join(
      keys.map((k) => sql`${k}`),
      sql`, `,
    )})`);
  return new Map(rows.map((r) => [r.key, { state: r.state as GroupState, changedBy: r.changed_by, changedAt: new Date(r.changed_at), note: r.note }]));
}

const stateOrder: Record<GroupState, number> = { open: 0, acknowledged: 1, resolved: 2 };

/** Every group of open dead letters with its state: open (and reopened) first, then acknowledged, then resolved; newest failure first within. */
export async function readFailures(db: Database): Promise<FailuresView> {
  const rows = await openLetters(db);
  const truncated = rows.length > GROUPED_LIMIT;
  const groups = groupFailures(truncated ? rows.slice(0, GROUPED_LIMIT) : rows);
  const marks = await marksOf(
    db,
    groups.map((g) => g.key),
  );
  const views = groups.map((g) => {
    const mark = marks.get(g.key);
    return { ...g, mark, status: statusOf(g, mark) };
  });
  views.sort((a, b) => stateOrder[a.status.state] - stateOrder[b.status.state] || b.newestFailureAt.getTime() - a.newestFailureAt.getTime());
  return { groups: views, letters: Math.min(rows.length, GROUPED_LIMIT), truncated };
}

/** What a person says about a group: acknowledged, resolved, or open again. */
export async function markGroup(db: Database, group: Pick<FailureGroup, "key" | "cause">, state: GroupState, by: string, note: string | null): Promise<void> {
  // The database's clock, as for the letters' created_at it is compared with (statusOf).
  const now = sql`now()`;
  await db
    .insert(failureGroups)
    .values({ key: group.key, code: group.cause.code, state, changedBy: by, changedAt: now, note })
    .onConflictDoUpdate({ target: failureGroups.key, set: { state, changedBy: by, changedAt: now, note } });
}
