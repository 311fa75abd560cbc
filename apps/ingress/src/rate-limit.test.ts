import { createSourceRateLimit } from "./rate-limit";

describe("per-source token bucket", () => {
  it("allows the burst, then the rate, per source", () => {
    const limit = createSourceRateLimit(2, 3);
    const t = 1_000_000;
    expect([limit.take("a", t), limit.take("a", t), limit.take("a", t)]).toEqual([null, null, null]);
    expect(limit.take("a", t)).toBe(500);
    expect(limit.take("b", t)).toBeNull();
    expect(limit.take("a", t + 500)).toBeNull();
    expect(limit.take("a", t + 500)).toBe(500);
  });

  it("is off at rate 0", () => {
    const limit = createSourceRateLimit(0, 1);
    for (let i = 0; i < 100; i++) expect(limit.take("a")).toBeNull();
  });
});
