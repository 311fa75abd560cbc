import { permanent, retryable } from "./errors";
import { withCallRetry } from "./call-retry";

const fast = { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 };

it("retries retryable failures up to the attempt limit, then gives up with the last error", async () => {
  let calls = 0;
  await expect(withCallRetry(async () => (++calls < 3 ? Promise.reject(retryable("X", "x")) : "ok"), fast)).resolves.toBe("ok");
  expect(calls).toBe(3);
  calls = 0;
  await expect(withCallRetry(async () => (++calls, Promise.reject(retryable("DOWN", "down"))), fast)).rejects.toMatchObject({ code: "DOWN" });
  expect(calls).toBe(3);
});

it("never retries permanent or unclassified failures", async () => {
  let calls = 0;
  await expect(withCallRetry(async () => (++calls, Promise.reject(permanent("NO", "no"))), fast)).rejects.toMatchObject({ code: "NO" });
  await expect(withCallRetry(async () => (++calls, Promise.reject(new Error("bug"))), fast)).rejects.toThrow("bug");
  expect(calls).toBe(2);
});

it("waits for the target's Retry-After, capped", async () => {
  const started = Date.now();
  let calls = 0;
  await withCallRetry(async () => (++calls < 2 ? Promise.reject(retryable("LIMIT", "l", { retryAfterMs: 60_000 })) : "ok"), { attempts: 2, baseDelayMs: 1, maxDelayMs: 50 });
  expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  expect(Date.now() - started).toBeLessThan(1_000);
});
