import { permanent, retryable } from "@concord/contracts";
import { decide, type RetryPolicy } from "./retry-policy";

const policy: RetryPolicy = { maxDeliver: 4, backoffMs: [100, 200, 400], jitter: 0 };

describe("decide", () => {
  it.each([
    ["permanent on first delivery", permanent("NOT_FOUND", "x"), 1, { action: "dead-letter" }],
    ["retryable, first delivery", retryable("HTTP_503", "x"), 1, { action: "nak", delayMs: 100 }],
    ["retryable, second delivery", retryable("HTTP_503", "x"), 2, { action: "nak", delayMs: 200 }],
    ["retryable, third delivery", retryable("HTTP_503", "x"), 3, { action: "nak", delayMs: 400 }],
    ["retryable, last delivery", retryable("HTTP_503", "x"), 4, { action: "dead-letter" }],
    ["unknown error retries", new Error("boom"), 1, { action: "nak", delayMs: 100 }],
    ["unknown error on last delivery", new Error("boom"), 4, { action: "dead-letter" }],
    ["Retry-After longer than backoff wins", retryable("HTTP_429", "x", { retryAfterMs: 5000 }), 1, { action: "nak", delayMs: 5000 }],
    ["Retry-After shorter than backoff loses", retryable("HTTP_429", "x", { retryAfterMs: 10 }), 2, { action: "nak", delayMs: 200 }],
  ])("%s", (_name, error, deliveries, expected) => {
    expect(decide(error, deliveries, policy)).toEqual(expected);
  });

  it("repeats the last backoff step and applies jitter within bounds", () => {
    const long: RetryPolicy = { maxDeliver: 100, backoffMs: [1000], jitter: 0.2 };
    expect(decide(new Error(), 50, long, () => 0)).toEqual({ action: "nak", delayMs: 800 });
    expect(decide(new Error(), 50, long, () => 0.9999999)).toEqual({ action: "nak", delayMs: 1200 });
  });
});
