import type { NotificationFaults } from "./faults";
import { createRandom, type Random } from "./prng";
import { notificationId, signWebhook } from "./signature";
import type { ChangeEvent } from "./store";

/**
 * The Concord 1C extension's outbound side, simulated: every committed change is queued and sent
 * after the write's response, signed with Standard Webhooks headers, retried with exponential
 * backoff (200 ms doubling, capped at 10 s, 20 tries), then parked in `failed`.
 */

export interface NotifierOptions {
  url: string | null;
  secret: string;
  backoffBaseMs: number;
  backoffMaxMs: number;
  maxAttempts: number;
  requestTimeoutMs: number;
  seed: number | undefined;
  faults: () => NotificationFaults;
  now?: () => number;
}

export interface NotificationBody {
  v: 1;
  type: "onec.change";
  object: string;
  ref: string;
  dataVersion: string | null;
  deleted: boolean;
  occurredAt: string;
}

export interface QueuedNotification {
  id: string;
  body: NotificationBody;
  /** Exact bytes sent every attempt (the signature covers them). */
  raw: string;
  attempts: number;
  enqueuedAt: string;
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
}

export interface DeliveryLogEntry {
  at: string;
  id: string;
  object: string;
  ref: string;
  dataVersion: string | null;
  attempt: number;
  /** "delivered" (2xx), "retry" (non-2xx / network error, will retry), "failed" (last try failed), "dropped" (fault). */
  outcome: "delivered" | "retry" | "failed" | "dropped";
  status: number | null;
  error: string | null;
  durationMs: number;
  duplicate: boolean;
}

const LOG_LIMIT = 2000;

export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempt - 1), maxMs);
}

export function buildNotification(change: ChangeEvent): { id: string; body: NotificationBody; raw: string } {
  const body: NotificationBody = {
    v: 1,
    type: "onec.change",
    object: change.object,
    ref: change.ref,
    dataVersion: change.dataVersion,
    deleted: change.deleted,
    occurredAt: change.occurredAt,
  };
  return { id: notificationId(change.object, change.ref, change.dataVersion), body, raw: JSON.stringify(body) };
}

export class Notifier {
  private readonly pending = new Map<QueuedNotification, NodeJS.Timeout | null>();
  private readonly failed: QueuedNotification[] = [];
  private log: DeliveryLogEntry[] = [];
  private readonly inflight = new Set<AbortController>();
  private random: Random;
  private delivered = 0;
  private dropped = 0;
  private duplicated = 0;
  private stopped = false;
  /** Bumped by clear(): an attempt in flight across a clear must not re-queue its item. */
  private generation = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: NotifierOptions) {
    this.random = createRandom(options.seed === undefined ? undefined : options.seed ^ 0x5bd1e995);
  }

  private get now(): number {
    return this.options.now ? this.options.now() : Date.now();
  }

  /** Re-seeds the notification fault PRNG (when faults are set with a seed). */
  reseed(seed: number | undefined): void {
    this.random = createRandom(seed === undefined ? undefined : seed ^ 0x5bd1e995);
  }

  enqueue(change: ChangeEvent): void {
    if (this.stopped || this.options.url === null) return;
    const { id, body, raw } = buildNotification(change);
    const faults = this.options.faults();
    if (faults.dropRate !== undefined && faults.dropRate > 0 && this.random() < faults.dropRate) {
      this.dropped++;
      this.record({ id, body, attempt: 0, outcome: "dropped", status: null, error: "dropped by fault injection", durationMs: 0, duplicate: false });
      return;
    }
    const item: QueuedNotification = {
      id,
      body,
      raw,
      attempts: 0,
      enqueuedAt: new Date(this.now).toISOString(),
      nextAttemptAt: null,
      lastStatus: null,
      lastError: null,
    };
    let delay = faults.delayMs ?? 0;
    if (faults.reorder) delay += Math.floor(this.random() * (faults.reorderWindowMs ?? 500));
    this.schedule(item, delay);
  }

  private schedule(item: QueuedNotification, delayMs: number): void {
    item.nextAttemptAt = new Date(this.now + delayMs).toISOString();
    const timer = setTimeout(() => {
      this.pending.set(item, null);
      void this.attempt(item);
    }, delayMs);
    this.pending.set(item, timer);
  }

  private async attempt(item: QueuedNotification): Promise<void> {
    if (this.stopped) return;
    const generation = this.generation;
    item.attempts++;
    item.nextAttemptAt = null;
    const faults = this.options.faults();
    const duplicate = faults.duplicateRate !== undefined && faults.duplicateRate > 0 && this.random() < faults.duplicateRate;
    if (duplicate) this.duplicated++;
    const sends = duplicate ? [this.send(item, false), this.send(item, true)] : [this.send(item, false)];
    const results = await Promise.all(sends);
    if (this.stopped || generation !== this.generation) return;
    const ok = results.some((r) => r.ok);
    const last = results[0] ?? { ok: false, status: null, error: "no attempt", durationMs: 0 };
    item.lastStatus = last.status;
    item.lastError = last.error;
    const outcome: DeliveryLogEntry["outcome"] = ok ? "delivered" : item.attempts >= this.options.maxAttempts ? "failed" : "retry";
    results.forEach((r, i) =>
      this.record({ id: item.id, body: item.body, attempt: item.attempts, outcome: r.ok ? "delivered" : outcome, status: r.status, error: r.error, durationMs: r.durationMs, duplicate: i > 0 }),
    );
    if (ok) {
      this.delivered++;
      this.pending.delete(item);
    } else if (outcome === "failed") {
      this.pending.delete(item);
      this.failed.push(item);
    } else {
      this.schedule(item, backoffDelay(item.attempts, this.options.backoffBaseMs, this.options.backoffMaxMs));
    }
    this.checkIdle();
  }

  private async send(item: QueuedNotification, _duplicate: boolean): Promise<{ ok: boolean; status: number | null; error: string | null; durationMs: number }> {
    const url = this.options.url;
    const started = Date.now();
    if (url === null) return { ok: false, status: null, error: "no url", durationMs: 0 };
    const timestamp = Math.floor(this.now / 1000);
    const controller = new AbortController();
    this.inflight.add(controller);
    const timer = setTimeout(() => controller.abort(new Error("notification request timed out")), this.options.requestTimeoutMs);
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "webhook-id": item.id,
          "webhook-timestamp": String(timestamp),
          "webhook-signature": signWebhook(this.options.secret, item.id, timestamp, item.raw),
        },
        body: item.raw,
        signal: controller.signal,
      });
      await res.arrayBuffer().catch(() => undefined);
      return { ok: res.status >= 200 && res.status < 300, status: res.status, error: null, durationMs: Date.now() - started };
    } catch (err) {
      const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : "";
      return { ok: false, status: null, error: `${err instanceof Error ? err.message : String(err)}${cause}`, durationMs: Date.now() - started };
    } finally {
      clearTimeout(timer);
      this.inflight.delete(controller);
    }
  }

  private record(e: { id: string; body: NotificationBody; attempt: number; outcome: DeliveryLogEntry["outcome"]; status: number | null; error: string | null; durationMs: number; duplicate: boolean }): void {
    this.log.push({
      at: new Date(this.now).toISOString(),
      id: e.id,
      object: e.body.object,
      ref: e.body.ref,
      dataVersion: e.body.dataVersion,
      attempt: e.attempt,
      outcome: e.outcome,
      status: e.status,
      error: e.error,
      durationMs: e.durationMs,
      duplicate: e.duplicate,
    });
    if (this.log.length > LOG_LIMIT) this.log = this.log.slice(-LOG_LIMIT);
  }

  /** Moves failed notifications back to the queue (attempt counter restarts). */
  retryFailed(): number {
    const items = this.failed.splice(0);
    for (const item of items) {
      item.attempts = 0;
      this.schedule(item, 0);
    }
    return items.length;
  }

  snapshot(): { url: string | null; delivered: number; dropped: number; duplicated: number; pending: QueuedNotification[]; failed: QueuedNotification[]; log: DeliveryLogEntry[] } {
    return {
      url: this.options.url,
      delivered: this.delivered,
      dropped: this.dropped,
      duplicated: this.duplicated,
      pending: [...this.pending.keys()],
      failed: [...this.failed],
      log: [...this.log],
    };
  }

  /** Clears the queue, the failed list and the log. */
  clear(): void {
    this.generation++;
    for (const timer of this.pending.values()) if (timer) clearTimeout(timer);
    this.pending.clear();
    this.failed.splice(0);
    this.log = [];
    this.delivered = 0;
    this.dropped = 0;
    this.duplicated = 0;
    this.checkIdle();
  }

  /** Resolves when nothing is pending (tests). */
  async idle(timeoutMs = 10_000): Promise<void> {
    if (this.pending.size === 0) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("notifier did not become idle")), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private checkIdle(): void {
    if (this.pending.size > 0) return;
    const waiters = this.idleWaiters.splice(0);
    for (const w of waiters) w();
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.pending.values()) if (timer) clearTimeout(timer);
    this.pending.clear();
    for (const c of this.inflight) c.abort(new Error("sandbox stopping"));
    this.inflight.clear();
    this.checkIdle();
  }
}
