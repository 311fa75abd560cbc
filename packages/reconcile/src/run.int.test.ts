import { eq } from "drizzle-orm";
import { connectBus, createMappingClient, type Bus } from "@concord/bus";
import { createSubjects } from "@concord/contracts";
import { connectDb, goLiveRuns, idMapping, migrateDb, type DbHandle } from "@concord/db";
import { defaultPolicyPath, loadPolicy } from "@concord/policy";
import { testDatabaseUrl, testNatsUrl, uniqueNamespace } from "@concord/testkit";
import { lastReconcile, runReconcile, type ReconcileDeps } from "./run";

// The run against a real PostgreSQL and NATS with no writer answering: what it records in
// go_live_runs when pairs cannot be read, when it is stopped, and when it fails. (Against both
// sandboxes and the whole system: tests/e2e go-live and reconcile-schedule.)

const namespace = uniqueNamespace("recrun");
let handle: DbHandle;
let bus: Bus;
let deps: ReconcileDeps;

beforeAll(async () => {
  await migrateDb(testDatabaseUrl(), namespace);
  handle = connectDb(testDatabaseUrl(), namespace, 2);
  bus = await connectBus(testNatsUrl(), "reconcile-run-test");
  deps = { db: handle.db, bus, mapping: createMappingClient(bus.nc, createSubjects(namespace)), policy: loadPolicy(defaultPolicyPath), namespace, actor: "test" };
  await handle.db.insert(idMapping).values([
    { sourceSystem: "bitrix24", sourceEntity: "deal", sourceId: "7", targetSystem: "onec", targetEntity: "order", targetId: "6f1d2c3b-0000-4000-8000-000000000007", state: "confirmed", createdBy: "flow" },
    // Not compared: a claim without its target, and a pair of another entity.
    { sourceSystem: "bitrix24", sourceEntity: "deal", sourceId: "8", targetSystem: "onec", targetEntity: "order", targetId: null, state: "claimed", createdBy: "flow" },
    { sourceSystem: "bitrix24", sourceEntity: "company", sourceId: "3", targetSystem: "onec", targetEntity: "counterparty", targetId: "6f1d2c3b-0000-4000-8000-000000000003", state: "confirmed", createdBy: "flow" },
  ]);
});

afterAll(async () => {
  await bus?.nc.close();
  await handle?.sql.unsafe(`drop schema if exists "${namespace}" cascade`);
  await handle?.close();
});

const row = async (id: number) => (await handle.db.select().from(goLiveRuns).where(eq(goLiveRuns.id, id)))[0];

it("a pair whose records no writer reads is reported unreadable with why, and the run is kept with its trigger", async () => {
  const report = await runReconcile({ ...deps, actor: "schedule (round 1) resolver@test:1" }, "orders", { heal: true, trigger: "schedule" });
  expect(report).toMatchObject({ entity: "orders", trigger: "schedule", heal: true, checked: 0, drifted: [], healed: [], stopped: false });
  expect(report.unreadable).toEqual([{ mappingId: expect.any(Number), source: { system: "bitrix24", entity: "deal", id: "7" }, note: expect.stringMatching(/\S/) }]);
  expect(await row(report.runId)).toMatchObject({ kind: "reconcile", entity: "orders", status: "reported", apply: 1, actor: "schedule (round 1) resolver@test:1", finishedAt: expect.any(Date) });
  expect(await lastReconcile(handle.db, "orders")).toEqual(report);
});

it("a stopped run (a shutdown) compares nothing more, heals nothing, and says so", async () => {
  const abort = new AbortController();
  abort.abort();
  const report = await runReconcile(deps, "customers", { heal: true, signal: abort.signal });
  expect(report).toMatchObject({ trigger: "cli", checked: 0, unreadable: [], healed: [], stopped: true });
  expect(await row(report.runId)).toMatchObject({ status: "stopped", finishedAt: expect.any(Date) });
});

it("a run that fails is marked failed, not left looking as if it still ran", async () => {
  let runId = 0;
  await expect(
    runReconcile(deps, "orders", {
      heal: false,
      onStarted: (id) => {
        runId = id;
        throw new Error("the database went away");
      },
    }),
  ).rejects.toThrow("the database went away");
  expect(await row(runId)).toMatchObject({ status: "failed", report: null, finishedAt: expect.any(Date) });
});
