import { setTimeout as sleep } from "node:timers/promises";
import { connectBus, openStateStore, type Bus, type StateStore } from "@concord/bus";
import { RECONCILE_SCHEDULE_KEY, ReconcileScheduleRecordSchema, createSubjects, type ReconcileEntity, type ReconcileReport } from "@concord/contracts";
import type { ReconcileOptions } from "@concord/reconcile";
import { createLogger } from "@concord/telemetry";
import { testNatsUrl, uniqueNamespace } from "@concord/testkit";
import { createReconcileRounds, type ReconcileScheduleDeps } from "./reconcile-schedule";

// The schedule's rounds against a real NATS KV bucket, two replicas each with its own
// connection. The run itself is `concord reconcile`'s (tested in tests/e2e reconcile-schedule);
// here it is a stand-in that records who ran what and when, so the claims can be counted.

jest.setTimeout(60_000);

const namespace = uniqueNamespace("recsched");
const subjects = createSubjects(namespace);
const logger = createLogger("reconcile-schedule-test", "error");
const buses: Bus[] = [];

interface Call {
  owner: string;
  entity: ReconcileEntity;
  round: number;
  start: number;
  end: number;
}

async function replica(name: string, calls: Call[], options: Partial<ReconcileScheduleDeps> & { work?: (options: ReconcileOptions) => Promise<void> } = {}): Promise<{ state: StateStore; rounds: ReturnType<typeof createReconcileRounds> }> {
  const bus = await connectBus(testNatsUrl(), name);
  buses.push(bus);
  const state = await openStateStore(bus, subjects);
  let nextRunId = 1;
  const rounds = createReconcileRounds({
    state,
    intervalMs: 1_000,
    heal: false,
    entities: ["orders", "customers"],
    owner: name,
    logger,
    run: async (entity, actor, runOptions) => {
      const start = Date.now();
      const runId = nextRunId++;
      await runOptions.onStarted?.(runId);
      await (options.work ?? (() => sleep(120)))(runOptions);
      calls.push({ owner: name, entity, round: Number(/round (\d+)/.exec(actor)?.[1]), start, end: Date.now() });
      const at = new Date().toISOString();
      const report: ReconcileReport = { runId, entity, heal: false, trigger: "schedule", checked: 0, drifted: [], unreadable: [], healed: [], stopped: runOptions.signal?.aborted === true, startedAt: at, finishedAt: at };
      return report;
    },
    ...options,
  });
  return { state, rounds };
}

const readRecord = async (state: StateStore) => ReconcileScheduleRecordSchema.parse((await state.getJson(RECONCILE_SCHEDULE_KEY))?.value);

afterAll(async () => {
  for (const bus of buses) await bus.nc.close().catch(() => undefined);
  const bus = await connectBus(testNatsUrl(), "recsched-cleanup");
  for (const name of await bus.jsm.streams.names().next()) if (name.toLowerCase().includes(namespace)) await bus.jsm.streams.delete(name).catch(() => false);
  await bus.nc.close();
});

it("two replicas ticking together: each round is run once, by one of them, its entities in turn, never overlapping", async () => {
  const calls: Call[] = [];
  const replicas = [await replica("resolver@a:1", calls), await replica("resolver@b:2", calls)];
  const end = Date.now() + 4_500;
  // Both tick every 50 ms, as their timers would, so most claims race each other.
  await Promise.all(
    replicas.map(async ({ rounds }) => {
      while (Date.now() < end) {
        await rounds.tick();
        await sleep(50);
      }
    }),
  );
  const rounds = [...new Set(calls.map((c) => c.round))];
  expect(rounds.length).toBeGreaterThanOrEqual(4);
  for (const round of rounds) {
    const of = calls.filter((c) => c.round === round);
    expect({ round, entities: of.map((c) => c.entity), owners: new Set(of.map((c) => c.owner)).size }).toEqual({ round, entities: ["orders", "customers"], owners: 1 });
  }
  const sorted = [...calls].sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) expect(sorted[i]!.start).toBeGreaterThanOrEqual(sorted[i - 1]!.end);
  const record = await readRecord(replicas[0]!.state);
  expect(record).toMatchObject({ intervalMs: 1_000, round: Math.max(...rounds), error: null, runIds: [expect.any(Number), expect.any(Number)] });
  expect(record.finishedAt).not.toBeNull();
});

it("a replica stopping mid-round ends it after the pair in hand: the round is recorded as stopped, the next entity is not run", async () => {
  const calls: Call[] = [];
  // The next round (this file's namespace holds the last test's record) begins within a second.
  const { state, rounds } = await replica("resolver@c:3", calls, {
    work: (options) => new Promise<void>((resolve) => options.signal?.addEventListener("abort", () => resolve(), { once: true })),
  });
  let result: Awaited<ReturnType<typeof rounds.tick>> = null;
  const ticking = (async () => {
    while (result === null) {
      result = await rounds.tick();
      if (result === null) await sleep(50);
    }
  })();
  await sleep(1_500);
  rounds.abort();
  await ticking;
  expect(result).toMatchObject({ reports: [{ entity: "orders", stopped: true }] });
  expect(calls.map((c) => c.entity)).toEqual(["orders"]);
  expect(await readRecord(state)).toMatchObject({ owner: "resolver@c:3", error: "stopped by a shutdown", finishedAt: expect.any(String) });
  expect(await rounds.tick()).toBeNull();
});

it("a round held by a replica that died blocks the schedule until its hold lapses, then the next round runs elsewhere", async () => {
  const calls: Call[] = [];
  const { state, rounds } = await replica("resolver@d:4", calls);
  const now = Date.now();
  const stored = await state.getJson<unknown>(RECONCILE_SCHEDULE_KEY);
  // A replica died holding the round that ended a second ago, its hold good for 1.5 s more.
  const dead = { intervalMs: 1_000, round: Math.floor(now / 1_000) - 1, owner: "resolver@dead:9", heal: false, startedAt: new Date(now - 1_000).toISOString(), finishedAt: null, until: now + 1_500, runIds: [], error: null };
  expect(await state.compareAndSet(RECONCILE_SCHEDULE_KEY, dead, stored?.revision ?? null)).toBe(true);
  expect(await rounds.tick()).toBeNull();
  await sleep(600);
  expect(await rounds.tick()).toBeNull();
  await sleep(1_200);
  const taken = await rounds.tick();
  expect(taken).toMatchObject({ reports: [{ entity: "orders" }, { entity: "customers" }] });
  expect(await readRecord(state)).toMatchObject({ owner: "resolver@d:4", error: null });
});
