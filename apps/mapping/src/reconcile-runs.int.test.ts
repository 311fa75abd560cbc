import { eq } from "drizzle-orm";
import { connectDb, goLiveRuns, migrateDb, type DbHandle } from "@concord/db";
import { ReconcileRunsRequestSchema, type ReconcileReport } from "@concord/contracts";
import { testDatabaseUrl, uniqueNamespace } from "@concord/testkit";
import { listReconcileRuns } from "./reconcile-runs";

const schema = uniqueNamespace("recruns_");
let handle: DbHandle;

beforeAll(async () => {
  await migrateDb(testDatabaseUrl(), schema);
  handle = connectDb(testDatabaseUrl(), schema, 4);
});

afterAll(async () => {
  await handle.sql.unsafe(`drop schema if exists "${schema}" cascade`);
  await handle.close();
});

const drift = (n: number) => ({
  mappingId: n,
  source: { system: "bitrix24" as const, entity: "deal" as const, id: String(n) },
  target: { system: "onec" as const, entity: "order" as const, id: `0000000${n}-0000-0000-0000-000000000000`.slice(-36) },
  fields: [{ field: "title", crm: `Deal ${n}`, onec: "old", write: "to 1C" as const }],
  conflicts: [],
});

async function insertRun(entity: "orders" | "customers", actor: string, report: Omit<ReconcileReport, "runId" | "entity"> | null, heal = false) {
  const [row] = await handle.db.insert(goLiveRuns).values({ kind: "reconcile", entity, apply: heal ? 1 : 0, status: report ? "reported" : "checking", checkpoint: {}, actor }).returning({ id: goLiveRuns.id });
  const id = (row as { id: number }).id;
  if (report) await handle.db.update(goLiveRuns).set({ report: { ...report, runId: id, entity } as unknown as Record<string, unknown>, finishedAt: new Date() }).where(eq(goLiveRuns.id, id));
  return id;
}

const at = new Date().toISOString();
const ended = (over: Partial<ReconcileReport>) => ({ heal: false, trigger: "cli" as const, checked: 3, drifted: [], unreadable: [], healed: [], stopped: false, startedAt: at, finishedAt: at, ...over });

it("lists reconcile runs newest first with who started them, counts and reports cut to driftLimit; other go-live runs are not listed", async () => {
  await handle.db.insert(goLiveRuns).values({ kind: "backfill", entity: "orders", status: "reported", checkpoint: {}, actor: "concord-cli@h" });
  // A report written before the schedule existed has no trigger: the CLI's.
  const old = await insertRun("orders", "concord-cli@h", (({ trigger: _t, stopped: _s, ...r }) => r)(ended({})) as ReconcileReport);
  const scheduled = await insertRun("orders", "schedule (round 7) resolver@h:1", ended({ trigger: "schedule", checked: 5, drifted: [drift(1), drift(2), drift(3)] }));
  const customers = await insertRun("customers", "schedule (round 7) resolver@h:1", ended({ trigger: "schedule", healed: [{ mappingId: 4, messageId: "m" }] }), true);
  const running = await insertRun("orders", "schedule (round 8) resolver@h:2", null);

  const all = await listReconcileRuns(handle.db, ReconcileRunsRequestSchema.parse({ driftLimit: 2 }));
  expect(all.runs.map((r) => [r.id, r.entity, r.trigger, r.status])).toEqual([
    [running, "orders", "schedule", "checking"],
    [customers, "customers", "schedule", "reported"],
    [scheduled, "orders", "schedule", "reported"],
    [old, "orders", "cli", "reported"],
  ]);
  expect(all.runs[0]).toMatchObject({ report: null, checked: null, driftedCount: null, finishedAt: null });
  expect(all.runs[1]).toMatchObject({ heal: true, healedCount: 1 });
  expect(all.runs[2]).toMatchObject({ checked: 5, driftedCount: 3, report: { trigger: "schedule", drifted: [drift(1), drift(2)] } });
  expect(all.runs[3]?.report).toMatchObject({ trigger: "cli", stopped: false });

  const cli = await listReconcileRuns(handle.db, ReconcileRunsRequestSchema.parse({ entity: "orders", trigger: "cli", limit: 5 }));
  expect(cli.runs.map((r) => r.id)).toEqual([old]);
  const one = await listReconcileRuns(handle.db, ReconcileRunsRequestSchema.parse({ entity: "orders", limit: 1 }));
  expect(one.runs.map((r) => r.id)).toEqual([running]);
});
