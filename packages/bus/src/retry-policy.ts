import { catalogEntry, isSyncError, type ErrorEntry } from "@concord/contracts";
import { natsErrorCode } from "./nats-errors";

/** What a consumer does with a message after its handler returned or threw. */
export type Decision =
  | { action: "ack" }
  /** `counted`: a failure of this record, counted against its budget; target and pipeline failures are not. */
  | { action: "nak"; delayMs: number; counted: boolean }
  | { action: "dead-letter" };

export interface RetryPolicy {
  /**
   * Record-specific failures before the DLQ when no time budget is set; with `budgetMs`, the
   * fewest record failures before the budget may end a record's retries (so a skewed clock
   * cannot dead-letter at the first failure).
   */
  maxDeliver: number;
  /** Delay before record retry n (1-based); the last entry repeats. */
  backoffMs: readonly number[];
  /** ± fraction of random jitter so retries of many messages spread out. */
  jitter: number;
  /**
   * How long a record's retries last, from its first record-specific failure (kept in the
   * shared state store: survives restarts, shared by replicas). Unset: `maxDeliver` counts.
   */
  budgetMs?: number;
  /** Longest wait between retries of target or pipeline failures (the circuit paces the rest). */
  pauseMaxMs?: number;
}

/** A day of retries per record (docs/guarantees.md, "Outages"); target-wide faults pause instead. */
export const defaultRetryPolicy: RetryPolicy = {
  maxDeliver: 10,
  backoffMs: [1_000, 2_000, 5_000, 10_000, 20_000, 40_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000],
  jitter: 0.2,
  budgetMs: 24 * 3600_000,
  // A paused consumer looks again this often: each look is one request to a writer, which answers
  // from its circuit without calling the target; so recovery shows within 10 s.
  pauseMaxMs: 10_000,
};

/** Where a record's retries stand: its record-specific failures so far (this one included) and when the first was. */
export interface RecordRetries {
  failures: number;
  firstFailureAtMs: number;
  nowMs: number;
}

/** The catalog entry of any thrown value: SyncErrors by code, NATS errors by class and err_code. */
export function errorEntry(error: unknown): ErrorEntry & { code: string } {
  const code = isSyncError(error) ? error.code : (natsErrorCode(error) ?? "UNCLASSIFIED");
  return { code, ...catalogEntry(code) };
}

const jittered = (base: number, policy: RetryPolicy, random: () => number) => base * (1 + policy.jitter * (2 * random() - 1));

/**
 * The error decides, by its catalog scope first:
 * * target or pipeline → nak, not counted: the circuit (or the pipeline's recovery) paces it,
 *   never the DLQ — a portal out of budget or a 1C being backed up is nobody's record's fault;
 * * record, permanent or business → the DLQ now;
 * * record, retryable → nak with backoff (or the target's Retry-After when longer) until the
 *   budget — time since the first record failure, or the count without one — is spent.
 * `retries` is only consulted for record failures.
 */
export function decide(
  error: unknown,
  retries: RecordRetries | number,
  policy: RetryPolicy,
  random: () => number = Math.random,
  deliveryCount = typeof retries === "number" ? retries : retries.failures,
): Decision {
  const entry = errorEntry(error);
  const retryAfter = isSyncError(error) ? (error.retryAfterMs ?? 0) : 0;
  if (entry.scope !== "record") {
    const step = Math.min(1_000 * 2 ** Math.min(Math.max(deliveryCount - 1, 0), 10), policy.pauseMaxMs ?? 10_000);
    return { action: "nak", delayMs: Math.round(Math.max(jittered(step, policy, random), retryAfter)), counted: false };
  }
  // The raiser's word: it knows whether this very record can succeed later.
  if (isSyncError(error) && error.kind === "permanent") return { action: "dead-letter" };
  const { failures, firstFailureAtMs, nowMs } = typeof retries === "number" ? { failures: retries, firstFailureAtMs: 0, nowMs: 0 } : retries;
  const spent = policy.budgetMs === undefined ? failures >= policy.maxDeliver : failures >= policy.maxDeliver && nowMs - firstFailureAtMs >= policy.budgetMs;
  if (spent) return { action: "dead-letter" };
  const index = Math.min(Math.max(failures - 1, 0), policy.backoffMs.length - 1);
  const base = Math.min(policy.backoffMs[index] ?? 1_000, entry.backoffCapMs ?? Number.POSITIVE_INFINITY);
  return { action: "nak", delayMs: Math.round(Math.max(jittered(base, policy, random), retryAfter)), counted: true };
}
