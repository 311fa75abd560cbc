import { isSyncError } from "@concord/contracts";

/** What a consumer does with a message after its handler returned or threw. */
export type Decision = { action: "ack" } | { action: "nak"; delayMs: number } | { action: "dead-letter" };

export interface RetryPolicy {
  /** Redeliveries in total, including the first (JetStream MaxDeliver). */
  maxDeliver: number;
  /** Delay before redelivery n (1-based); the last entry repeats. */
  backoffMs: readonly number[];
  /** ± fraction of random jitter so retries of many messages spread out. */
  jitter: number;
}

/** Documented in docs/protocol/README.md: about 7 minutes of retries before the DLQ. */
export const defaultRetryPolicy: RetryPolicy = {
  maxDeliver: 10,
  backoffMs: [1_000, 2_000, 5_000, 10_000, 20_000, 40_000, 60_000, 120_000, 180_000],
  jitter: 0.2,
};

/**
 * The error decides: permanent → DLQ now; retryable or unknown → nak with backoff (or the
 * target's Retry-After when longer) until the last allowed delivery, which goes to the DLQ.
 */
export function decide(
  error: unknown,
  deliveryCount: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): Decision {
  if (isSyncError(error) && error.kind === "permanent") return { action: "dead-letter" };
  if (deliveryCount >= policy.maxDeliver) return { action: "dead-letter" };
  const index = Math.min(Math.max(deliveryCount - 1, 0), policy.backoffMs.length - 1);
  const base = policy.backoffMs[index] ?? 1_000;
  const jittered = base * (1 + policy.jitter * (2 * random() - 1));
  const retryAfter = isSyncError(error) ? (error.retryAfterMs ?? 0) : 0;
  return { action: "nak", delayMs: Math.round(Math.max(jittered, retryAfter)) };
}
