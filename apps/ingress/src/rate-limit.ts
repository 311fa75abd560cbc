/**
 * Per-source rate limit of accepted events: a token bucket per source (the Bitrix24 portal, by
 * its application token; the 1C server, by its signing secret), in this process. A holder of a source's credentials cannot flood the
 * event streams, and so cannot spend the portal's request budget through fetch-on-notify.
 * Beyond the rate a request gets 429 with Retry-After; Bitrix24 does not resend a refused
 * event, so the catch-up sweeps (crm-writer, onec-writer) are what recover it — never a call
 * from here: ingress calls no target.
 *
 * The default sits well above a real portal's event rate: Bitrix24 delivers outgoing events
 * from a queue at a few per second even during a mass edit. Each ingress replica has its own
 * buckets, so the total is the replicas times the rate.
 */
export interface SourceRateLimit {
  /** Takes one token for `source`: null when allowed, else milliseconds until the next token. */
  take(source: string, nowMs?: number): number | null;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Sources remembered at most (oldest forgotten first): a forged `domain` cannot grow memory without bound. */
const MAX_SOURCES = 10_000;

export function createSourceRateLimit(ratePerSec: number, burst: number): SourceRateLimit {
  const buckets = new Map<string, Bucket>();
  return {
    take(source, nowMs = Date.now()) {
      if (ratePerSec <= 0) return null;
      let bucket = buckets.get(source);
      if (!bucket) {
        if (buckets.size >= MAX_SOURCES) buckets.delete(buckets.keys().next().value as string);
        bucket = { tokens: burst, at: nowMs };
        buckets.set(source, bucket);
      }
      bucket.tokens = Math.min(burst, bucket.tokens + ((nowMs - bucket.at) / 1000) * ratePerSec);
      bucket.at = nowMs;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return null;
      }
      return Math.ceil(((1 - bucket.tokens) / ratePerSec) * 1000);
    },
  };
}
