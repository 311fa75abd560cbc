import type { StateStore } from "@concord/bus";
import type { Logger } from "@concord/telemetry";
import type { AlertsSettings } from "./alerts-config";
import type { NoticeMessage, Send } from "./alerts-channels";
import { afterFailedAttempt, planAlerts, slotsLeft, type RuleResult } from "./alerts-logic";
import type { AlertStore } from "./alerts-store";

/** KV key of the evaluator's lease: one console replica evaluates at a time. */
export const ALERTS_LEASE_KEY = "alerts.evaluator";

export interface EvaluatorOptions {
  settings: AlertsSettings;
  store: AlertStore;
  /** One function per configured rule (alerts-sources.ts). */
  checks: Array<() => Promise<RuleResult>>;
  send: Send;
  state: StateStore;
  /** This replica's name in the lease. */
  owner: string;
  logger: Logger;
  now?: () => number;
}

export interface AlertEvaluator {
  /** One evaluation and one delivery round, if this replica holds the lease; false when another one does. */
  runOnce(): Promise<boolean>;
  start(): void;
  stop(): Promise<void>;
}

/**
 * Looks at the system every `intervalSeconds`, under a lease in the state KV (compare-and-set on
 * its revision, lasting three intervals) so that of two console replicas one evaluates and the
 * other takes over when it stops renewing (at once when it stops gracefully: it hands the lease
 * back). The alerts table, not memory, says what already
 * fired, so a restart or a takeover fires nothing twice.
 */
export function createAlertEvaluator(options: EvaluatorOptions): AlertEvaluator {
  const { settings, store, checks, send, state, owner, logger } = options;
  const now = options.now ?? Date.now;
  const intervalMs = settings.intervalSeconds * 1000;
  const channelNames = settings.channels.map((c) => c.name);
  const channels = new Map(settings.channels.map((c) => [c.name, c]));
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<boolean> | null = null;
  let stopped = false;

  async function evaluate(): Promise<void> {
    const results: RuleResult[] = [];
    for (const check of checks) {
      try {
        results.push(await check());
      } catch (error) {
        // The rule's alerts stay as they are: a source that cannot be read is no recovery.
        logger.warn("alert check failed; its alerts are left as they are", { error });
      }
    }
    const at = new Date(now());
    const plan = planAlerts(await store.active(), results, at.getTime(), settings.repeatSeconds * 1000);
    for (const condition of plan.fire) {
      const id = await store.fire(condition, channelNames, at);
      if (id !== null) logger.warn("alert fired", { alert: id, rule: condition.rule, subject: condition.subject, summary: condition.summary });
    }
    for (const { alert, condition } of plan.still) await store.seen(alert.id, condition, at);
    for (const alert of plan.repeat) await store.repeat(alert, channelNames, at);
    for (const alert of plan.resolve) {
      await store.resolve(alert, channelNames, at);
      logger.info("alert resolved", { alert: alert.id, rule: alert.rule, subject: alert.subject });
    }
  }

  async function deliver(): Promise<void> {
    const at = new Date(now());
    const budget = new Map<string, number>();
    for (const name of channelNames) budget.set(name, slotsLeft(await store.sentSince(name, new Date(at.getTime() - 60_000)), settings.delivery.maxPerMinute));
    for (const d of await store.due(at)) {
      const channel = channels.get(d.channel);
      const alert = await store.alert(d.alertId);
      if (!alert) continue;
      if (!channel) {
        await store.markFailed(d.id, d.attempts, "the channel is no longer configured", { status: "failed" });
        continue;
      }
      // Per channel, a resolved notice goes after its fired one; and no more than the minute's budget.
      if (d.notice === "resolved" && (await store.firedPending(d.alertId, d.channel))) continue;
      const left = budget.get(d.channel) ?? 0;
      if (left <= 0) continue;
      budget.set(d.channel, left - 1);
      const message: NoticeMessage = {
        notice: d.notice,
        alert: { id: alert.id, key: alert.key, rule: alert.rule, subject: alert.subject, summary: alert.summary, details: alert.details, firedAt: alert.firedAt.toISOString(), resolvedAt: alert.resolvedAt?.toISOString() ?? null },
      };
      const attempts = d.attempts + 1;
      try {
        await send(channel, message);
        await store.markSent(d.id, attempts, new Date(now()));
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        const next = afterFailedAttempt(attempts, settings.delivery.maxAttempts, settings.delivery.backoffSeconds, now());
        if (next.final) {
          logger.error("alert notice failed for good", { alert: alert.id, channel: d.channel, notice: d.notice, attempts, reason });
          await store.markFailed(d.id, attempts, reason, { status: "failed" });
        } else {
          const log = attempts === 1 ? logger.warn : logger.info;
          log(attempts === 1 ? "alert notice failed; will retry" : "alert notice failed again; will retry", { alert: alert.id, channel: d.channel, notice: d.notice, attempts, retryInMs: next.nextAttemptAt - now(), reason });
          await store.markFailed(d.id, attempts, reason, { status: "pending", nextAttemptAt: new Date(next.nextAttemptAt) });
        }
      }
    }
  }

  async function round(): Promise<boolean> {
    if (!(await state.tryLease(ALERTS_LEASE_KEY, owner, intervalMs * 3))) return false;
    await evaluate();
    await deliver();
    return true;
  }

  const runOnce = (): Promise<boolean> => {
    if (running) return running;
    running = round().finally(() => {
      running = null;
    });
    return running;
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      runOnce()
        .catch((error: unknown) => logger.warn("alert evaluation failed; next on schedule", { error }))
        .finally(schedule);
    }, intervalMs);
  };

  return {
    runOnce,
    start: () => {
      stopped = false;
      schedule();
    },
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running?.catch(() => undefined);
      // Hand the lease back (expired, by compare-and-set) so another replica takes over at its next look, not three intervals later.
      const lease = await state.getJson<{ owner: string; until: number }>(ALERTS_LEASE_KEY).catch(() => null);
      if (lease?.value.owner === owner) await state.compareAndSet(ALERTS_LEASE_KEY, { owner, until: 0 }, lease.revision).catch(() => false);
    },
  };
}
