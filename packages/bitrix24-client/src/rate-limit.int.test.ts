// Two replicas of a Bitrix24 writer — two NATS connections, two limiters on one KV key, two
// clients — against the sandbox portal (its own process, over HTTP) at the real limit: a leaky
// bucket of 50 draining 2/s, 503 QUERY_LIMIT_EXCEEDED above it.

import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectBus, createSharedRateLimiter, openStateStore, rateLimitKey, type Bus, type BucketState, type StateStore } from "@concord/bus";
import { createSubjects, isSyncError } from "@concord/contracts";
import { AppProcess, repoRoot, waitReady } from "@concord/launcher";
import { createLogger } from "@concord/telemetry";
import { freePort, testNatsUrl, uniqueNamespace } from "@concord/testkit";
import { createBitrix24Client, type Bitrix24Client } from "./client";

jest.setTimeout(180_000);

const subjects = createSubjects(uniqueNamespace("b24rl"));
const stateBucket = subjects.stateBucket;
const logger = createLogger("bitrix24-rate-limit-test", "error");
const TOKEN = "rate-limit-test-token";

let sandbox: AppProcess;
let port: number;
let webhookBase: string;
const buses: Bus[] = [];
let state: StateStore;

interface LoggedRequest {
  at: string;
  method: string;
  status: number | "socket-destroyed";
}
interface SandboxStats {
  requests: number;
  rateLimitRejections: number;
  methods: Record<string, { calls: number; ok: number; errors: number }>;
  writes: { deal: { adds: number; updates: number } };
  injectedFaults: { rateLimit: number };
}

async function admin<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${port}/admin/${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`admin ${method} ${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

beforeAll(async () => {
  port = await freePort();
  webhookBase = `http://127.0.0.1:${port}/rest/1/${TOKEN}/`;
  sandbox = new AppProcess({
    name: "sandbox-bitrix24",
    dir: join(repoRoot, "apps", "sandbox-bitrix24"),
    env: {
      B24_SANDBOX_HOST: "127.0.0.1",
      B24_SANDBOX_PORT: String(port),
      B24_SANDBOX_WEBHOOK_TOKEN: TOKEN,
      B24_SANDBOX_EVENT_HANDLER: "",
      B24_SANDBOX_RATE_CAPACITY: "50",
      B24_SANDBOX_RATE_DRAIN_PER_SEC: "2",
    },
    readyUrl: `http://127.0.0.1:${port}/healthz`,
    logFile: join(tmpdir(), `concord-${subjects.namespace}`, "sandbox-bitrix24.log"),
  });
  sandbox.start();
  await waitReady(sandbox);
  buses.push(await connectBus(testNatsUrl(), "replica-1"), await connectBus(testNatsUrl(), "replica-2"));
  state = await openStateStore(buses[0] as Bus, subjects);
});

afterAll(async () => {
  await buses[0]?.jsm.streams.delete(`KV_${stateBucket}`).catch(() => undefined);
  for (const bus of buses) await bus.nc.close();
  await sandbox?.stop(5_000);
});

beforeEach(async () => {
  // Empty portal, counters and request log; the bucket back at 50 / 2 per second and empty.
  await admin("POST", "reset");
});

/** Two replicas: each its own NATS connection, state store, limiter (one shared key) and client. */
async function replicas(key: string, batchMax: number): Promise<[Bitrix24Client, Bitrix24Client]> {
  const clients = await Promise.all(
    buses.map(async (bus) => {
      const limiter = createSharedRateLimiter({ state: await openStateStore(bus, subjects), key, ratePerSec: 2, burst: 50, logger });
      return createBitrix24Client({ webhookBase, limiter, batchMax });
    }),
  );
  return clients as [Bitrix24Client, Bitrix24Client];
}

/** The sandbox's leaky bucket replayed from its request log: the highest level any request left it at. */
function peakLevel(requests: LoggedRequest[], drainPerSec = 2): number {
  let level = 0;
  let peak = 0;
  let last: number | undefined;
  for (const r of requests.filter((r) => r.status !== 503)) {
    const t = Date.parse(r.at);
    level = Math.max(0, level - ((t - (last ?? t)) * drainPerSec) / 1000) + 1;
    last = t;
    peak = Math.max(peak, level);
  }
  return peak;
}

describe("under a backlog of 1,000 writes from two replicas", () => {
  it.each([50, 10])("keeps within the portal's 2/s burst 50, never gets QUERY_LIMIT_EXCEEDED, and batches (batchMax %i)", async (batchMax) => {
    const [a, b] = await replicas(`${rateLimitKey("bitrix24", webhookBase)}.backlog${batchMax}`, batchMax);
    const dealCount = 1_000 / batchMax;
    const owner = (d: number) => (d < dealCount / 2 ? a : b);
    const started = Date.now();
    const ids = await Promise.all(Array.from({ length: dealCount }, (_, d) => owner(d).result<number>("crm.deal.add", { fields: { TITLE: `rate ${d}` } })));

    // All at once. One deal's writes are queued back to back, so they fill one batch, whose
    // commands the portal runs in order: the last write queued is the last one applied. (Batches
    // in flight together may be applied in any order, as any concurrent calls may.)
    const writes = ids.flatMap((id, d) => Array.from({ length: batchMax }, (_, v) => owner(d).updateDeal(String(id), { TITLE: `rate ${d} v${v}` })));
    const outcomes = await Promise.allSettled(writes);
    const elapsedMs = Date.now() - started;

    expect(outcomes.filter((o) => o.status === "rejected")).toEqual([]);
    expect(outcomes.every((o) => o.status === "fulfilled" && o.value === true)).toBe(true);
    const deals = await admin<Array<{ ID: string; TITLE: string }>>("GET", "records/deal");
    expect(deals).toHaveLength(dealCount);
    for (const [d, id] of ids.entries()) expect(deals.find((deal) => deal.ID === String(id))?.TITLE).toBe(`rate ${d} v${batchMax - 1}`);

    const stats = await admin<SandboxStats>("GET", "stats");
    const log = await admin<LoggedRequest[]>("GET", "requests?limit=1000");
    const batches = log.filter((r) => r.method === "batch").length;
    const peak = peakLevel(log);
    console.log(
      `batchMax ${batchMax}: ${dealCount} adds + ${writes.length} writes in ${elapsedMs} ms over ${stats.requests} HTTP requests ` +
        `(${batches} batch, ${stats.requests - batches} plain); QUERY_LIMIT_EXCEEDED ${stats.rateLimitRejections}; ` +
        `sandbox bucket peak ${peak.toFixed(2)} of 50; ${(stats.requests / (elapsedMs / 1000)).toFixed(2)} requests/s`,
    );
    expect(stats.rateLimitRejections).toBe(0);
    expect(stats.writes.deal.updates).toBe(1_000);
    expect(stats.writes.deal.adds).toBe(dealCount);
    expect(stats.requests).toBe(log.length);
    expect(batches).toBeGreaterThanOrEqual(1_000 / batchMax);
    expect(stats.requests).toBeLessThanOrEqual((1_000 + dealCount) / batchMax + 4);
    expect(peak).toBeLessThanOrEqual(50);
    // The burst is 48 tokens (2 of headroom), then 2/s: more requests than that take time.
    expect(elapsedMs).toBeGreaterThanOrEqual(Math.max(0, (stats.requests - 48) * 500) - 500);
  });
});

describe("when the portal says QUERY_LIMIT_EXCEEDED", () => {
  it.each([
    ["for commands inside a batch", { methods: { "crm.deal.add": { rateLimitRate: 1 } } }],
    ["for the batch request itself", { methods: { batch: { rateLimitRate: 1 } } }],
  ])("%s, the calls fail retryable, every replica pauses, and calls succeed afterwards", async (where, faults) => {
    const key = `${rateLimitKey("bitrix24", webhookBase)}.limited${Object.keys(faults.methods)[0]}`;
    const [a, b] = await replicas(key, 50);
    const dealId = String(await a.result<number>("crm.deal.add", { fields: { TITLE: "before" } }));

    await admin("PUT", "faults", faults);
    // Adds are never retried by the client, so each fails exactly once.
    const adds = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => a.result<number>("crm.deal.add", { fields: { TITLE: `limited ${i}` } })));
    const failedAt = Date.now();
    await admin("DELETE", "faults");
    for (const outcome of adds) {
      expect(outcome.status).toBe("rejected");
      const error = (outcome as PromiseRejectedResult).reason as unknown;
      expect(isSyncError(error) && error.kind === "retryable" && error.code === "B24_QUERY_LIMIT_EXCEEDED").toBe(true);
      expect(String((error as Error).message)).not.toContain(TOKEN);
    }

    const paused = (await state.getJson<BucketState>(key))?.value;
    expect(paused?.tokens).toBe(0);
    expect(paused?.pausedUntilMs).toBeGreaterThan(failedAt);

    // The other replica, with a backlog, waits out the pause, then gets everything through.
    const asked = Date.now();
    const [updated, read] = await Promise.all([
      Promise.all(Array.from({ length: 10 }, (_, i) => b.updateDeal(dealId, { TITLE: `after ${i}` }))),
      Promise.all(Array.from({ length: 10 }, () => b.getDeal(dealId))),
    ]);
    const waitedMs = Date.now() - asked;
    expect(updated).toEqual(Array(10).fill(true));
    expect(read.every((deal) => deal?.ID === dealId)).toBe(true);
    expect(await a.result<number>("crm.deal.add", { fields: { TITLE: "after the pause" } })).toBeGreaterThan(0);

    const log = await admin<LoggedRequest[]>("GET", "requests?limit=1000");
    // The log: the add before, the refused batch, then replica 2's batch and replica 1's add.
    const afterPause = log.slice(log.findIndex((r) => r.method === "batch") + 1);
    console.log(`QUERY_LIMIT_EXCEEDED ${where}: paused ${(paused?.pausedUntilMs ?? 0) - failedAt} ms more after the failure; replica 2 waited ${waitedMs} ms; requests after: ${afterPause.map((r) => r.method).join(", ")}`);
    // Nothing reached the portal before the pause ended (the sandbox runs on this machine's clock).
    for (const r of afterPause) expect(Date.parse(r.at)).toBeGreaterThanOrEqual((paused?.pausedUntilMs ?? 0) - 5);
    expect(afterPause.some((r) => r.method === "batch")).toBe(true);
    const stats = await admin<SandboxStats>("GET", "stats");
    expect(stats.injectedFaults.rateLimit).toBeGreaterThanOrEqual(1);
    expect(stats.rateLimitRejections).toBe(0);
  });
});
