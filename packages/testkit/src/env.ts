import { randomBytes } from "node:crypto";
import { createServer } from "node:net";

/** The shared test services (overridable, e.g. in CI or on a machine with other ports). */
export const testNatsUrl = () => process.env.NATS_URL ?? "nats://127.0.0.1:4222";
export const testDatabaseUrl = () => process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** A namespace (subjects, streams) and schema name unique to one test file, so files run in parallel. */
export function uniqueNamespace(prefix = "t"): string {
  return `${prefix}${randomBytes(4).toString("hex")}`.toLowerCase();
}

/** A TCP port that was free a moment ago (loopback). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** Polls until `check` returns a value other than undefined/false, or fails with the last value seen. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 15_000, intervalMs = 100, what = "condition" } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${String(last)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
