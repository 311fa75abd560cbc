import { z } from "zod";
import { requestRpc, type Bus, type StateStore } from "@concord/bus";
import {
  RECONCILE_SCHEDULE_KEY,
  ReconcileEntitySchema,
  ReconcileRunsReplySchema,
  ReconcileScheduleRecordSchema,
  ReconcileTriggerSchema,
  type ReconcileEntity,
  type ReconcileRun,
  type ReconcileRunsRequest,
  type ReconcileScheduleRecord,
  type Subjects,
} from "@concord/contracts";

/** `GET /api/reconcile?entity=&drift=`: the last run of each entity (or one), and the schedule. */
export const ReconcileQuerySchema = z
  .object({
    entity: ReconcileEntitySchema.optional(),
    drift: z.coerce.number().int().min(0).max(1_000).default(200).describe("Drifted and unreadable pairs shown per run at most"),
  })
  .strict();

/** `GET /api/reconcile/runs?entity=&trigger=&limit=&drift=`: runs newest first. */
export const ReconcileRunsQuerySchema = z
  .object({
    entity: ReconcileEntitySchema.optional(),
    trigger: ReconcileTriggerSchema.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(10),
    drift: z.coerce.number().int().min(0).max(1_000).default(50),
  })
  .strict();

export interface EntityReconcile {
  /** The newest run that ended (its report): what the pairs looked like then. */
  last: ReconcileRun | null;
  /** A newer run without a report: running now (status checking; or its process died), or failed. */
  unfinished: ReconcileRun | null;
}

export interface ReconcileView {
  orders?: EntityReconcile;
  customers?: EntityReconcile;
  /** The resolver's schedule as its replicas last recorded it (NATS KV); null when no round has run. */
  schedule: ReconcileScheduleRecord | null;
}

/** The last run of an entity that ended, and a newer one that has not (pure). */
export function pickLastRuns(runs: readonly ReconcileRun[]): EntityReconcile {
  const last = runs.find((r) => r.report !== null) ?? null;
  const unfinished = runs.find((r) => r.report === null && (last === null || r.id > last.id)) ?? null;
  return { last, unfinished };
}

/** What the console reads about reconcile runs: the runs from mapping (go_live_runs), the schedule from the state KV. */
export function createReconcileReader(nc: Bus["nc"], subjects: Subjects, state: StateStore, timeoutMs = 10_000) {
  const runs = (request: ReconcileRunsRequest) => requestRpc(nc, subjects.rpc.reconcileRuns, request, ReconcileRunsReplySchema, timeoutMs);
  return {
    runs,
    async view(query: z.infer<typeof ReconcileQuerySchema>): Promise<ReconcileView> {
      const entities: ReconcileEntity[] = query.entity ? [query.entity] : ["orders", "customers"];
      const view: ReconcileView = { schedule: null };
      for (const entity of entities) view[entity] = pickLastRuns((await runs({ entity, limit: 10, driftLimit: query.drift })).runs);
      const stored = await state.getJson<unknown>(RECONCILE_SCHEDULE_KEY);
      const schedule = stored ? ReconcileScheduleRecordSchema.safeParse(stored.value) : null;
      view.schedule = schedule?.success ? schedule.data : null;
      return view;
    },
  };
}
export type ReconcileReader = ReturnType<typeof createReconcileReader>;
