import { and, asc, desc, eq, isNull } from "drizzle-orm";
import { goLivePages, goLiveRuns, idMapping, type Database } from "@concord/db";
import type { TablePair } from "./match";
import type { GoLiveEntity, ListName } from "./records";

export type Checkpoint = Record<string, { next: number; done: boolean; read: number; total: number | null }>;
export type RunKind = "backfill" | "rebuild" | "verify";

/**
 * A run's own state in PostgreSQL: its checkpoint and the pages it has read. Each page and the
 * checkpoint that follows it are written in one transaction, so a run killed at any point
 * resumes at the first page it has not stored.
 */
export function createRunStore(db: Database) {
  return {
    /** The latest unfinished run of this kind and entity: a new invocation resumes it. */
    async unfinished(kind: RunKind, entity: GoLiveEntity) {
      const [row] = await db
        .select()
        .from(goLiveRuns)
        .where(and(eq(goLiveRuns.kind, kind), eq(goLiveRuns.entity, entity), isNull(goLiveRuns.finishedAt)))
        .orderBy(desc(goLiveRuns.id))
        .limit(1);
      return row ?? null;
    },
    async start(kind: RunKind, entity: GoLiveEntity, apply: boolean, actor: string, lists: readonly ListName[]) {
      const checkpoint: Checkpoint = Object.fromEntries(lists.map((l) => [l, { next: 0, done: false, read: 0, total: null }]));
      const [row] = await db.insert(goLiveRuns).values({ kind, entity, apply: apply ? 1 : 0, status: "reading", checkpoint, actor }).returning();
      return row as typeof goLiveRuns.$inferSelect;
    },
    async setApply(runId: number, apply: boolean) {
      await db.update(goLiveRuns).set({ apply: apply ? 1 : 0 }).where(eq(goLiveRuns.id, runId));
    },
    async setTotal(runId: number, checkpoint: Checkpoint) {
      await db.update(goLiveRuns).set({ checkpoint }).where(eq(goLiveRuns.id, runId));
    },
    /** Stores one page and moves the checkpoint past it, together. */
    async savePage(runId: number, list: ListName, page: number, records: unknown[], checkpoint: Checkpoint) {
      await db.transaction(async (tx) => {
        await tx.insert(goLivePages).values({ runId, list, page, records }).onConflictDoUpdate({ target: [goLivePages.runId, goLivePages.list, goLivePages.page], set: { records } });
        await tx.update(goLiveRuns).set({ checkpoint }).where(eq(goLiveRuns.id, runId));
      });
    },
    async records(runId: number, list: ListName): Promise<unknown[]> {
      const pages = await db
        .select({ records: goLivePages.records })
        .from(goLivePages)
        .where(and(eq(goLivePages.runId, runId), eq(goLivePages.list, list)))
        .orderBy(asc(goLivePages.page));
      return pages.flatMap((p) => p.records);
    },
    async setStatus(runId: number, status: string, appliedUpTo?: number) {
      await db.update(goLiveRuns).set({ status, ...(appliedUpTo !== undefined ? { appliedUpTo } : {}) }).where(eq(goLiveRuns.id, runId));
    },
    /** The run is over: its report stays, its pages go (they were only there to resume). */
    async finish(runId: number, status: string, report: Record<string, unknown>) {
      await db.transaction(async (tx) => {
        await tx.update(goLiveRuns).set({ status, report, finishedAt: new Date() }).where(eq(goLiveRuns.id, runId));
        await tx.delete(goLivePages).where(eq(goLivePages.runId, runId));
      });
    },
  };
}
export type RunStore = ReturnType<typeof createRunStore>;

const ENTITY_KINDS: Record<GoLiveEntity, string[]> = {
  customers: ["company", "contact", "counterparty"],
  products: ["product"],
  orders: ["deal", "order"],
};

/** The mapping table's pairs of one entity, read only (mapping stays its only writer). */
export async function readTable(db: Database, entity: GoLiveEntity): Promise<TablePair[]> {
  const rows = await db.select().from(idMapping);
  return rows
    .filter((r) => ENTITY_KINDS[entity].includes(r.sourceEntity))
    .map((r) => ({
      id: r.id,
      source: { system: r.sourceSystem, entity: r.sourceEntity, id: r.sourceId } as TablePair["source"],
      target: r.targetId ? ({ system: r.targetSystem, entity: r.targetEntity, id: r.targetId } as TablePair["source"]) : null,
      state: r.state as TablePair["state"],
      createdBy: r.createdBy,
      decision: r.decision,
    }));
}
