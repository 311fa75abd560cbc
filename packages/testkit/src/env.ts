import { randomBytes } from "node:crypto";
import { createServer } from "node:net";

/** The shared test services (overridable, e.g. in CI or on a machine with other ports). */
export const testNatsUrl = () => process.env.NATS_URL ?? "nats://127.0.0.1:4222";
export const testDatabaseUrl = () => process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** A namespace (subjects, streams) and schema name unique to one test file, so files run in parallel. */
export function uniqueNamespace(prefix = "t"): string {
  return `${prefix}${randomBytes(4).toString("hex")}`.toLowerCase();
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

const handedOut = new Set<number>();

/**
 * A loopback port that was free a moment ago, with the ports of its replicas (port + 100·r)
 * free too. Drawn below the kernel's ephemeral range (32768 and up on Linux): a port from
 * there, free while a stopped process restarts, can be taken by any outgoing connection.
 */
export async function freePort(replicas = 2): Promise<number> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * (12_000 - 100 * replicas));
    const all = Array.from({ length: replicas }, (_, r) => base + 100 * r);
    if (all.some((p) => handedOut.has(p))) continue;
    if (!(await Promise.all(all.map(canBind))).every(Boolean)) continue;
    for (const p of all) handedOut.add(p);
    return base;
  }
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
