import { z } from "zod";
import { isSyncError, retryable } from "@concord/contracts";
import { metrics, type Logger } from "@concord/telemetry";
import type { StateStore } from "./state-store";

/** What a client needs: a token per HTTP request, and a way to say the target refused one. */
export interface RateLimiter {
  /** Waits until a token is there and takes it. */
  acquire(): Promise<void>;
  /** The target answered "too many requests": every replica stops for a while. Never throws. */
  reportLimited(retryAfterMs?: number): Promise<void>;
}

/** The shared token bucket, as stored (JSON) in one key of the state KV bucket. */
export const BucketStateSchema = z.object({
  tokens: z.number(),
  /** Time of the last refill, in the clock of the replica that wrote it. */
  updatedAtMs: z.number(),
  /** No token is handed out before this time (the target said it was over its limit). */
  pausedUntilMs: z.number(),
});
export type BucketState = z.infer<typeof BucketStateSchema>;

export interface BucketSettings {
  /** Tokens added per second: the target's sustained rate. */
  ratePerSec: number;
  /** Most tokens the bucket holds: the target's burst minus a headroom. */
  capacity: number;
}

export type TakeDecision = { taken: true; next: BucketState } | { taken: false; waitMs: number };

/**
 * Adds the tokens earned since the last write. A missing state starts full. Time never runs
 * backwards: a replica whose clock is behind the last writer's earns nothing until it catches
 * up, so the tokens handed out over any interval exceed the true rate by at most
 * rate × (the clock skew between replicas) — which the headroom absorbs.
 */
export function refillBucket(state: BucketState | null, settings: BucketSettings, nowMs: number): BucketState {
  if (!state) return { tokens: settings.capacity, updatedAtMs: nowMs, pausedUntilMs: 0 };
  const elapsedMs = Math.max(0, nowMs - state.updatedAtMs);
  return {
    tokens: Math.min(settings.capacity, Math.max(0, state.tokens) + (elapsedMs * settings.ratePerSec) / 1000),
    updatedAtMs: Math.max(state.updatedAtMs, nowMs),
    pausedUntilMs: state.pausedUntilMs,
  };
}

/** Takes one token, or says how long until one is there (and any pause is over). */
export function takeToken(state: BucketState | null, settings: BucketSettings, nowMs: number): TakeDecision {
  const current = refillBucket(state, settings, nowMs);
  const pausedMs = Math.max(0, current.pausedUntilMs - nowMs);
  if (pausedMs === 0 && current.tokens >= 1) return { taken: true, next: { ...current, tokens: current.tokens - 1 } };
  // Tokens keep accruing during a pause; a clock behind the stored one waits for it as well.
  const tokenMs = current.tokens >= 1 ? 0 : current.updatedAtMs - nowMs + ((1 - current.tokens) * 1000) / settings.ratePerSec;
  return { taken: false, waitMs: Math.max(1, Math.ceil(Math.max(pausedMs, tokenMs))) };
}

/**
 * The target refused a request: its own bucket is full, so ours is emptied and nothing goes out
 * for the target's Retry-After, or at least one token interval.
 */
export function pauseBucket(state: BucketState | null, settings: BucketSettings, nowMs: number, retryAfterMs = 0): BucketState {
  const current = refillBucket(state, settings, nowMs);
  const pauseMs = Math.max(retryAfterMs, 1000 / settings.ratePerSec);
  return { tokens: 0, updatedAtMs: current.updatedAtMs, pausedUntilMs: Math.max(current.pausedUntilMs, nowMs + pauseMs) };
}

/**
 * The key of a target's limit: `ratelimit.<target>.<host>`. The host only — never the path, which
 * for a Bitrix24 webhook holds the token — so every process calling the same portal or base
 * shares one bucket.
 */
export function rateLimitKey(target: string, url: string): string {
  return `ratelimit.${target}.${new URL(url).host.replace(/[^a-zA-Z0-9.-]/g, "_")}`;
}

export interface SharedRateLimiterOptions {
  state: StateStore;
  /** One key per target, e.g. `ratelimit.bitrix24.<portal host>`: every process calling it uses the same. */
  key: string;
  ratePerSec: number;
  /** The target's burst (Bitrix24: its leaky bucket's size, 50). */
  burst: number;
  /**
   * Tokens kept below `burst`. Our bucket mirrors the target's only up to timing: a request
   * reaches the target some time after its token was taken (network jitter) and replicas'
   * clocks differ; both can let ≈ rate × delay requests more into one window than the target's
   * drain allows. 2 tokens cover a second of that at 2/s — the target's bucket never overflows.
   */
  headroom?: number;
  logger: Logger;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A token bucket shared by every replica: its state lives in a KV key and each change is a
 * compare-and-set on the entry's revision (a lost race re-reads). Within one process acquires
 * queue up locally, so a replica polls the key with one request at a time.
 */
export function createSharedRateLimiter(options: SharedRateLimiterOptions): RateLimiter {
  const { state, key, logger } = options;
  if (!(options.ratePerSec > 0) || !(options.burst >= 1)) throw new Error(`rate limiter ${key}: ratePerSec must be > 0 and burst >= 1`);
  const settings: BucketSettings = { ratePerSec: options.ratePerSec, capacity: Math.max(1, options.burst - (options.headroom ?? 2)) };
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;

  const read = async () => {
    const entry = await state.getJson<unknown>(key);
    const parsed = BucketStateSchema.safeParse(entry?.value);
    return { current: parsed.success ? parsed.data : null, revision: entry?.revision ?? null };
  };

  /** Takes a token; true when it had to wait for one. */
  const takeOne = async (): Promise<boolean> => {
    let waited = false;
    for (;;) {
      const { current, revision } = await read();
      const decision = takeToken(current, settings, now());
      if (!decision.taken) {
        waited = true;
        // A little jitter, so replicas woken by the same refill do not all collide on the key.
        await sleep(decision.waitMs + Math.random() * 10);
        continue;
      }
      if (await state.compareAndSet(key, decision.next, revision)) return waited;
    }
  };

  let queue: Promise<unknown> = Promise.resolve();
  /** Acquires not yet through: one that queues behind another waits for a token too. */
  let queued = 0;
  return {
    acquire: () => {
      const startedMs = now();
      const behindOthers = queued > 0;
      queued++;
      const turn = queue
        .then(() =>
          takeOne().catch((error: unknown) => {
            throw isSyncError(error) ? error : retryable("RATE_LIMITER_UNAVAILABLE", `rate limiter ${key}: the shared state cannot be read or written`, { cause: error });
          }),
        )
        .then((waited) => {
          metrics.rateLimitWaitSeconds.observe({ limiter: key }, Math.max(0, now() - startedMs) / 1000);
          if (waited || behindOthers) metrics.rateLimitWaits.inc({ limiter: key });
        })
        .finally(() => {
          queued--;
        });
      queue = turn.catch(() => undefined);
      return turn;
    },
    reportLimited: async (retryAfterMs) => {
      try {
        for (;;) {
          const { current, revision } = await read();
          const next = pauseBucket(current, settings, now(), retryAfterMs);
          if (await state.compareAndSet(key, next, revision)) {
            logger.warn("target reported its rate limit: every replica pauses", { key, pausedForMs: next.pausedUntilMs - now() });
            return;
          }
        }
      } catch (error) {
        logger.warn("could not record a rate-limit pause", { key, error });
      }
    },
  };
}
