import { LeakyBucket } from "./rate-limit";

describe("LeakyBucket", () => {
  it("admits a burst up to capacity, then refuses", () => {
    let now = 0;
    const bucket = new LeakyBucket({ capacity: 50, drainPerSec: 2, now: () => now });
    const admitted = Array.from({ length: 60 }, () => bucket.tryTake()).filter(Boolean).length;
    expect(admitted).toBe(50);
    expect(bucket.tryTake()).toBe(false);
    now += 0;
    expect(bucket.currentLevel()).toBe(50);
  });

  it("drains at drainPerSec, admitting one request per 1/drain seconds", () => {
    let now = 0;
    const bucket = new LeakyBucket({ capacity: 50, drainPerSec: 2, now: () => now });
    for (let i = 0; i < 50; i++) bucket.tryTake();
    now = 400; // 0.8 requests drained: still full
    expect(bucket.tryTake()).toBe(false);
    now = 500; // exactly one drained
    expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(false);
    now = 500 + 10_000; // 20 drained
    const admitted = Array.from({ length: 30 }, () => bucket.tryTake()).filter(Boolean).length;
    expect(admitted).toBe(20);
  });

  it("a refused request does not fill the bucket", () => {
    let now = 0;
    const bucket = new LeakyBucket({ capacity: 2, drainPerSec: 1, now: () => now });
    bucket.tryTake();
    bucket.tryTake();
    for (let i = 0; i < 100; i++) bucket.tryTake();
    now = 1000;
    expect(bucket.tryTake()).toBe(true);
  });

  it("can be reconfigured and reset", () => {
    let now = 0;
    const bucket = new LeakyBucket({ capacity: 1, drainPerSec: 1, now: () => now });
    expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(false);
    bucket.configure({ capacity: 3 });
    expect(bucket.tryTake()).toBe(true);
    bucket.reset();
    expect(bucket.currentLevel()).toBe(0);
    now = 1;
    expect(bucket.settings()).toEqual({ capacity: 3, drainPerSec: 1 });
  });
});
