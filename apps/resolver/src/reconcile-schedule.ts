import type { StateStore } from "@concord/bus";
import { RECONCILE_SCHEDULE_KEY, ReconcileScheduleRecordSchema, type ReconcileEntity, type ReconcileReport, type ReconcileScheduleRecord } from "@concord/contracts";
import type { ReconcileOptions } from "@concord/reconcile";
import { startPeriodic } from "@concord/runtime";
import type { Logger } from "@concord/telemetry";

/** How long a claimed round stays held without a renewal: a replica that dies mid-round frees the schedule after this. */
export const ROUND_HOLD_MS = 60_000;

export type RoundDecision = { run: true; round: number } | { run: false; reason: string };

/**
 * Whether this replica should claim a round now (pure). Rounds are `floor(now / interval)`: the
 * next one is due once the clock has left the round the last claimed run started in — so an
 * interval changed between deployments still means one run per (new) interval — and never while
 * a round another replica holds is still running, so a run longer than the interval is followed
 * by the next one, not overlapped by it.
 */
export function decideRound(last: ReconcileScheduleRecord | null, now: number, intervalMs: number): RoundDecision {
  const round = Math.floor(now / intervalMs);
  if (!last) return { run: true, round };
  if (last.finishedAt === null && last.until > now) return { run: false, reason: `round ${last.round} is still running on ${last.owner}` };
  const lastRound = Math.floor(Date.parse(last.startedAt) / intervalMs);
  if (lastRound >= round) return { run: false, reason: `round ${round} ran already (${last.owner}, from ${last.startedAt})` };
  return { run: true, round };
}

export interface ReconcileScheduleDeps {
  state: StateStore;
  intervalMs: number;
  heal: boolean;
  entities: readonly ReconcileEntity[];
  /** This replica, e.g. `resolver@host:pid`. */
  owner: string;
  logger: Logger;
  /** One run of an entity: `runReconcile` of @concord/reconcile with the resolver's connections, recorded with `actor`. */
  run(entity: ReconcileEntity, actor: string, options: ReconcileOptions): Promise<ReconcileReport>;
  /** How often a replica looks whether a round is due (default: a quarter of the interval, 1 s to 1 min). */
  tickMs?: number;
  holdMs?: number;
}

export interface ReconcileRounds {
  /** Looks once whether a round is due and runs it if this replica claims it; null when it does not. */
  tick(): Promise<{ round: number; reports: ReconcileReport[] } | null>;
  /** No further round; the one in hand ends after its current pair, reported as stopped. */
  abort(): void;
}

/**
 * The rounds of the scheduled reconcile: the replica whose compare-and-set on the KV key wins a
 * due round runs it — every entity in turn, the same run as `concord reconcile` (kept in
 * go_live_runs, shown by `concord reconcile --last` and `GET /api/reconcile`) — and renews its
 * hold on the round while it runs.
 */
export function createReconcileRounds(deps: ReconcileScheduleDeps): ReconcileRounds {
  const { state, intervalMs, logger, owner } = deps;
  const holdMs = deps.holdMs ?? ROUND_HOLD_MS;
  const abort = new AbortController();

  const read = async () => {
    const entry = await state.getJson<unknown>(RECONCILE_SCHEDULE_KEY);
    if (!entry) return null;
    const parsed = ReconcileScheduleRecordSchema.safeParse(entry.value);
    // A record this release cannot read is taken over as if none were there (logged once per tick).
    if (!parsed.success) logger.warn("reconcile schedule: unreadable record, taken over", { error: parsed.error.message });
    return { value: parsed.success ? parsed.data : null, revision: entry.revision };
  };

  /** Updates the record of the round this replica holds; false when it no longer holds it. */
  const update = async (round: number, patch: Partial<ReconcileScheduleRecord>): Promise<boolean> => {
    const current = await read();
    if (!current?.value || current.value.owner !== owner || current.value.round !== round) return false;
    return state.compareAndSet(RECONCILE_SCHEDULE_KEY, { ...current.value, ...patch }, current.revision);
  };

  async function tick(): Promise<{ round: number; reports: ReconcileReport[] } | null> {
    if (abort.signal.aborted) return null;
    const now = Date.now();
    const current = await read();
    const decision = decideRound(current?.value ?? null, now, intervalMs);
    if (!decision.run) return null;
    const { round } = decision;
    const claim: ReconcileScheduleRecord = { intervalMs, round, owner, heal: deps.heal, startedAt: new Date(now).toISOString(), finishedAt: null, until: now + holdMs, runIds: [], error: null };
    // Another replica that read the same revision loses here: one run per round.
    if (!(await state.compareAndSet(RECONCILE_SCHEDULE_KEY, claim, current?.revision ?? null))) return null;
    logger.info("reconcile round claimed", { round, entities: deps.entities.join(","), heal: deps.heal });

    const runIds: number[] = [];
    const renewal = setInterval(() => {
      update(round, { until: Date.now() + holdMs }).then(
        (held) => (held ? undefined : logger.warn("reconcile round: hold lost (another replica took the schedule over)", { round })),
        (error: unknown) => logger.warn("reconcile round: hold not renewed", { round, error }),
      );
    }, Math.max(250, Math.floor(holdMs / 3)));
    const reports: ReconcileReport[] = [];
    let failure: unknown = null;
    try {
      for (const entity of deps.entities) {
        if (abort.signal.aborted) break;
        const report = await deps.run(entity, `schedule (round ${round}) ${owner}`, {
          heal: deps.heal,
          trigger: "schedule",
          signal: abort.signal,
          onStarted: async (runId) => {
            runIds.push(runId);
            // Bookkeeping only: the round's end records them again.
            await update(round, { runIds: [...runIds] }).catch((error: unknown) => logger.warn("reconcile round: run id not recorded", { round, runId, error }));
          },
        });
        reports.push(report);
        logger.info("reconcile run", { round, entity, runId: report.runId, checked: report.checked, drifted: report.drifted.length, unreadable: report.unreadable.length, healed: report.healed.length, stopped: report.stopped });
      }
    } catch (error) {
      failure = error;
    } finally {
      clearInterval(renewal);
    }
    const error = failure !== null ? String((failure as Error).message ?? failure).slice(0, 500) : abort.signal.aborted ? "stopped by a shutdown" : null;
    await update(round, { finishedAt: new Date().toISOString(), until: Date.now(), runIds, error }).catch((e: unknown) => logger.warn("reconcile round: end not recorded", { round, error: e }));
    if (failure !== null) throw failure;
    return { round, reports };
  }

  return { tick, abort: () => abort.abort() };
}

/** Every replica ticks (a quarter of the interval, 1 s to 1 min); `stop` ends the round in hand after its current pair. */
export function startReconcileSchedule(deps: ReconcileScheduleDeps): { stop(): Promise<void> } {
  const rounds = createReconcileRounds(deps);
  const tickMs = deps.tickMs ?? Math.min(60_000, Math.max(1_000, Math.floor(deps.intervalMs / 4)));
  const periodic = startPeriodic("reconcile schedule", tickMs, async () => void (await rounds.tick()), deps.logger, Math.min(tickMs, 2_000));
  return {
    stop: async () => {
      rounds.abort();
      await periodic.stop();
    },
  };
}
