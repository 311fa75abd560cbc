import { pauseBucket, refillBucket, takeToken, type BucketSettings, type BucketState } from "./rate-limiter";

const b24: BucketSettings = { ratePerSec: 2, capacity: 48 };
const at = (tokens: number, updatedAtMs: number, pausedUntilMs = 0): BucketState => ({ tokens, updatedAtMs, pausedUntilMs });

describe("refillBucket", () => {
  it("starts a missing bucket full (the capacity already leaves the headroom)", () => {
    expect(refillBucket(null, b24, 1_000)).toEqual(at(48, 1_000));
  });

  it("earns ratePerSec per elapsed second, up to the capacity", () => {
    expect(refillBucket(at(0, 1_000), b24, 2_500)).toEqual(at(3, 2_500));
    expect(refillBucket(at(47, 1_000), b24, 60_000)).toEqual(at(48, 60_000));
  });

  it("earns nothing on a clock behind the last writer's and never moves the time back", () => {
    expect(refillBucket(at(5, 10_000), b24, 9_000)).toEqual(at(5, 10_000));
  });
});

describe("takeToken", () => {
  it("takes a whole token when there is one", () => {
    expect(takeToken(at(1.5, 1_000), b24, 1_000)).toEqual({ taken: true, next: at(0.5, 1_000) });
  });

  it("says how long until the next token", () => {
    expect(takeToken(at(0.5, 1_000), b24, 1_000)).toEqual({ taken: false, waitMs: 250 });
    expect(takeToken(at(0, 1_000), b24, 1_000)).toEqual({ taken: false, waitMs: 500 });
  });

  it("waits out a pause even with tokens in the bucket", () => {
    expect(takeToken(at(10, 1_000, 4_000), b24, 1_000)).toEqual({ taken: false, waitMs: 3_000 });
    expect(takeToken(at(10, 1_000, 4_000), b24, 4_000)).toEqual({ taken: true, next: at(15, 4_000, 4_000) });
  });

  it("on a clock behind the stored one, waits for that difference too", () => {
    expect(takeToken(at(0, 10_000), b24, 9_800)).toEqual({ taken: false, waitMs: 700 });
  });
});

describe("pauseBucket", () => {
  it("empties the bucket and pauses for Retry-After, at least one token interval", () => {
    expect(pauseBucket(at(30, 1_000), b24, 1_000, 3_000)).toEqual(at(0, 1_000, 4_000));
    expect(pauseBucket(at(30, 1_000), b24, 1_000)).toEqual(at(0, 1_000, 1_500));
    expect(pauseBucket(null, { ratePerSec: 20, capacity: 18 }, 1_000, 10)).toEqual(at(0, 1_000, 1_050));
  });

  it("keeps a longer pause another replica set", () => {
    expect(pauseBucket(at(3, 1_000, 9_000), b24, 2_000, 1_000).pausedUntilMs).toBe(9_000);
  });
});

/** Deterministic PRNG (mulberry32), so a failing seed can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Two greedy replicas share one bucket (writes serialized, as compare-and-set makes them); each
 * request reaches the target after a random network delay. The target is Bitrix24's leaky
 * bucket: each request adds 1, it drains 2/s, a request that would take it above 50 is refused.
 */
function simulate(seed: number, { skewMs, jitterMs, durationMs, settings = b24 }: { skewMs: number; jitterMs: number; durationMs: number; settings?: BucketSettings }) {
  const rnd = random(seed);
  const clocks = [0, skewMs];
  const wake = [0, Math.floor(rnd() * 100)];
  let shared: BucketState | null = null;
  const arrivals: number[] = [];
  for (;;) {
    const replica = wake[0]! <= wake[1]! ? 0 : 1;
    const t = wake[replica]!;
    if (t > durationMs) break;
    const decision = takeToken(shared, settings, t + clocks[replica]!);
    if (decision.taken) {
      shared = decision.next;
      arrivals.push(t + 5 + rnd() * jitterMs);
      wake[replica] = t + rnd() * 3;
    } else {
      wake[replica] = t + decision.waitMs + rnd() * 10;
    }
  }
  arrivals.sort((a, b) => a - b);
  let level = 0;
  let peak = 0;
  let refused = 0;
  let last = 0;
  for (const t of arrivals) {
    level = Math.max(0, level - ((t - last) * 2) / 1000);
    last = t;
    if (level + 1 > 50) refused++;
    else level += 1;
    peak = Math.max(peak, level);
  }
  return { sent: arrivals.length, refused, peak };
}

describe("a shared bucket in front of Bitrix24's leaky bucket (2/s, 50)", () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])("never overflows it with 300 ms clock skew and 400 ms network jitter (seed %i)", (seed) => {
    const { sent, refused, peak } = simulate(seed, { skewMs: 300, jitterMs: 400, durationMs: 60_000 });
    expect(refused).toBe(0);
    expect(peak).toBeLessThanOrEqual(50);
    // …and still uses the budget: the 48-token start plus 2/s.
    expect(sent).toBeGreaterThanOrEqual(48 + 2 * 60 - 2);
    expect(sent).toBeLessThanOrEqual(48 + 2 * 60 + 2);
  });

  it("would overflow it without the headroom (capacity = burst)", () => {
    const seeds = [1, 2, 3, 4, 5, 6, 7, 8];
    const refused = seeds.map((seed) => simulate(seed, { skewMs: 300, jitterMs: 400, durationMs: 60_000, settings: { ratePerSec: 2, capacity: 50 } }).refused);
    expect(refused.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });
});
