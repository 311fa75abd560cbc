import { permanent, retryable } from "@concord/contracts";
import { decide, defaultRetryPolicy, type RetryPolicy } from "./retry-policy";

const policy: RetryPolicy = { maxDeliver: 4, backoffMs: [100, 200, 400], jitter: 0 };

describe("decide, counting record failures (no time budget)", () => {
  it.each([
    ["permanent on first delivery", permanent("NOT_FOUND", "x"), 1, { action: "dead-letter" }],
    ["retryable, first failure", retryable("HTTP_503", "x"), 1, { action: "nak", delayMs: 100, counted: true }],
    ["retryable, second failure", retryable("HTTP_503", "x"), 2, { action: "nak", delayMs: 200, counted: true }],
    ["retryable, third failure", retryable("HTTP_503", "x"), 3, { action: "nak", delayMs: 400, counted: true }],
    ["retryable, last failure", retryable("HTTP_503", "x"), 4, { action: "dead-letter" }],
    ["unknown error retries", new Error("boom"), 1, { action: "nak", delayMs: 100, counted: true }],
    ["unknown error on last failure", new Error("boom"), 4, { action: "dead-letter" }],
    ["Retry-After longer than backoff wins", retryable("ONEC_LOCKED", "x", { retryAfterMs: 5000 }), 1, { action: "nak", delayMs: 5000, counted: true }],
    ["Retry-After shorter than backoff loses", retryable("ONEC_LOCKED", "x", { retryAfterMs: 10 }), 2, { action: "nak", delayMs: 200, counted: true }],
  ])("%s", (_name, error, failures, expected) => {
    expect(decide(error, failures, policy)).toEqual(expected);
  });

  it("repeats the last backoff step and applies jitter within bounds", () => {
    const long: RetryPolicy = { maxDeliver: 100, backoffMs: [1000], jitter: 0.2 };
    expect(decide(new Error(), 50, long, () => 0)).toEqual({ action: "nak", delayMs: 800, counted: true });
    expect(decide(new Error(), 50, long, () => 0.9999999)).toEqual({ action: "nak", delayMs: 1200, counted: true });
  });
});

describe("decide by scope", () => {
  it.each([
    ["a rate limit", retryable("B24_QUERY_LIMIT_EXCEEDED", "x", { retryAfterMs: 2_000 })],
    ["a refused credential (permanent, but the target's)", permanent("B24_UNAUTHORIZED", "x")],
    ["1C refusing connections", retryable("ONEC_NETWORK", "x")],
    ["1C answering 503", retryable("ONEC_HTTP_503", "x")],
    ["an open circuit", retryable("CIRCUIT_OPEN", "x")],
    ["mapping not answering", retryable("RPC_UNAVAILABLE", "x")],
  ])("%s never dead-letters and is not counted, even after 1000 deliveries", (_name, error) => {
    const decision = decide(error, { failures: 0, firstFailureAtMs: 0, nowMs: 10 * 24 * 3600_000 }, defaultRetryPolicy, () => 0.5, 1000);
    expect(decision).toMatchObject({ action: "nak", counted: false });
    if (decision.action === "nak") expect(decision.delayMs).toBeLessThanOrEqual(12_000);
  });

  it("keeps the target's Retry-After for target failures", () => {
    expect(decide(retryable("B24_OPERATION_TIME_LIMIT", "x", { retryAfterMs: 60_000 }), 1, defaultRetryPolicy, () => 0.5)).toEqual({ action: "nak", delayMs: 60_000, counted: false });
  });

  it("dead-letters business refusals of a record at once", () => {
    expect(decide(permanent("ONEC_REJECTED", "posting check"), 1, defaultRetryPolicy)).toEqual({ action: "dead-letter" });
  });
});

describe("decide with a time budget", () => {
  const day = 24 * 3600_000;
  const at = (failures: number, elapsedMs: number) => ({ failures, firstFailureAtMs: 1_000, nowMs: 1_000 + elapsedMs });
  it("retries a record's retryable failure until a day has passed since its first failure", () => {
    expect(decide(retryable("ONEC_LOCKED", "x"), at(40, day - 1), defaultRetryPolicy, () => 0.5)).toMatchObject({ action: "nak", counted: true });
    expect(decide(retryable("ONEC_LOCKED", "x"), at(40, day), defaultRetryPolicy, () => 0.5)).toEqual({ action: "dead-letter" });
  });
  it("needs maxDeliver failures too, so a clock far ahead cannot end it at the first", () => {
    expect(decide(retryable("ONEC_LOCKED", "x"), at(1, 2 * day), defaultRetryPolicy, () => 0.5)).toMatchObject({ action: "nak" });
  });
  it("spreads a day over growing waits, up to an hour", () => {
    expect(decide(new Error("x"), at(30, 0), defaultRetryPolicy, () => 0.5)).toEqual({ action: "nak", delayMs: 3_600_000, counted: true });
  });
  it("waits on another record (a customer not in the target yet) at most 15 s a time, still counted against the day", () => {
    const waiting = retryable("REFERENCE_NOT_READY", "counterparty of company 5 is not in 1C yet", { retryAfterMs: 1_000 });
    expect(decide(waiting, at(2, 0), defaultRetryPolicy, () => 0.5)).toEqual({ action: "nak", delayMs: 2_000, counted: true });
    expect(decide(waiting, at(9, 600_000), defaultRetryPolicy, () => 0.5)).toEqual({ action: "nak", delayMs: 15_000, counted: true });
    expect(decide(waiting, at(5000, day), defaultRetryPolicy, () => 0.5)).toEqual({ action: "dead-letter" });
  });
});
