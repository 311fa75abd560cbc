import { isSyncError } from "./errors";

export interface CallRetryOptions {
  /** Attempts in total, including the first. */
  attempts: number;
  baseDelayMs: number;
  /** Upper bound of one wait, also for a target's Retry-After: longer waits belong to the message's redelivery. */
  maxDelayMs: number;
}

export const defaultCallRetry: CallRetryOptions = { attempts: 4, baseDelayMs: 200, maxDelayMs: 5_000 };

/**
 * Retries an idempotent call on retryable failures a few times, quickly, inside one message's
 * handling: at a 30 % error rate per call, a handler making ten calls would otherwise almost
 * never get through one delivery. Non-idempotent calls (creates) are never retried here: their
 * outcome may be unknown, and only the message-level find-before-create makes them safe.
 */
export async function withCallRetry<T>(call: () => Promise<T>, options: CallRetryOptions = defaultCallRetry, random: () => number = Math.random): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isSyncError(error) || error.kind !== "retryable" || attempt >= options.attempts) throw error;
      const backoff = options.baseDelayMs * 2 ** (attempt - 1) * (0.5 + random());
      const wait = Math.min(Math.max(backoff, error.retryAfterMs ?? 0), options.maxDelayMs);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
