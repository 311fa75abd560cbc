import { randomBytes } from "node:crypto";
import { waitFor } from "@concord/testkit";
import type { ReconcileRun, ReconcileRunsReply, ReconcileScheduleRecord } from "@concord/contracts";
import { onecOrder, startTestSystem, syncedDeal, waitQuiet, type TestSystem } from "./harness";

// Issue 14's scheduled reconcile: two resolver replicas with RECONCILE_INTERVAL_MS set short run
// `concord reconcile`'s run once per round between them; drift made behind Concord's back is
// reported (not healed: RECONCILE_HEAL is off) and shown by the console's GET /api/reconcile.

jest.setTimeout(240_000);

const INTERVAL_MS = 3_000;
const viewerToken = `viewer-${randomBytes(12).toString("hex")}`;
let t: TestSystem;

interface EntityView {
  last: ReconcileRun | null;
  unfinished: ReconcileRun | null;
}
interface View {
  orders?: EntityView;
  customers?: EntityView;
  schedule: ReconcileScheduleRecord | null;
}

async function api<T>(path: string, token = viewerToken): Promise<{ status: number; body: T }> {
  const response = await fetch(`http://127.0.0.1:${t.config.ports.console}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as T };
}

/** The newest scheduled orders run that started after `since` and ended. */
const scheduledOrdersAfter = (since: number) =>
  waitFor(async () => {
    const { body } = await api<View>("/api/reconcile?entity=orders");
    const last = body.orders?.last;
    return last && last.trigger === "schedule" && Date.parse(last.startedAt) > since ? last : undefined;
  }, { timeoutMs: 60_000, what: "a scheduled reconcile run of orders" });

beforeAll(async () => {
  t = await startTestSystem({
    replicas: 2,
    env: {
      resolver: { RECONCILE_INTERVAL_MS: String(INTERVAL_MS) },
      console: { CONSOLE_API_TOKENS: `dashboard:viewer:${viewerToken}` },
    },
  });
}, 180_000);

afterAll(async () => {
  await t?.stop();
}, 60_000);

let deal: { dealId: string; ref: string };

it("a scheduled round compares the mapped pairs and finds none drifted", async () => {
  deal = await syncedDeal(t);
  const synced = Date.now();
  const run = await scheduledOrdersAfter(synced);
  expect(run).toMatchObject({ entity: "orders", trigger: "schedule", heal: false, status: "reported", checked: 1, driftedCount: 0, unreadableCount: 0 });
  expect(run.actor).toMatch(/^schedule \(round \d+\) resolver@/);
});

it("drift made behind Concord's back is reported by the next scheduled round, not healed, and shown by GET /api/reconcile", async () => {
  // The CRM's event of this edit is lost (Bitrix24 events are at most once; the sweeps are off here).
  const handlers = await t.b24Admin<Array<{ url: string }>>("event-handlers");
  const put = (url: string | null) => t.b24Admin("event-handlers", { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ url }) });
  await put(null);
  await t.b24("crm.deal.update", { id: deal.dealId, fields: { TITLE: "Заказ, изменённый без события" } });
  const edited = Date.now();
  await put(handlers[0]?.url ?? null);

  const run = await scheduledOrdersAfter(edited);
  expect(run).toMatchObject({ trigger: "schedule", heal: false, checked: 1, driftedCount: 1, healedCount: 0 });
  expect(run.report?.drifted).toEqual([
    expect.objectContaining({
      source: { system: "bitrix24", entity: "deal", id: deal.dealId },
      target: { system: "onec", entity: "order", id: deal.ref.toLowerCase() },
      fields: [expect.objectContaining({ field: "title", crm: "Заказ, изменённый без события", write: "to 1C" })],
    }),
  ]);
  // Report only: the 1C order keeps its old comment.
  await waitQuiet(t);
  expect((await onecOrder(t, deal.ref)).Комментарий).not.toBe("Заказ, изменённый без события");

  const { status, body } = await api<View>("/api/reconcile");
  expect(status).toBe(200);
  expect(body.customers?.last).toMatchObject({ entity: "customers", trigger: "schedule", checked: 1, driftedCount: 0 });
  expect(body.schedule).toMatchObject({ intervalMs: INTERVAL_MS, heal: false, owner: expect.stringMatching(/^resolver@/) });
  // `concord reconcile --last` reads the same rows: the newest reported orders run is a scheduled one.
  const [newest] = await t.sql<Array<{ actor: string }>>`select actor from go_live_runs where kind = 'reconcile' and entity = 'orders' and report is not null order by id desc limit 1`;
  expect(newest?.actor).toMatch(/^schedule /);
});

it("GET /api/reconcile/runs lists runs newest first and answers a bad query with its reason", async () => {
  const { status, body } = await api<ReconcileRunsReply>("/api/reconcile/runs?trigger=schedule&entity=orders&limit=3&drift=0");
  expect(status).toBe(200);
  expect(body.runs).toHaveLength(3);
  expect(body.runs.every((r) => r.trigger === "schedule" && r.entity === "orders")).toBe(true);
  expect(body.runs[0]!.id).toBeGreaterThan(body.runs[1]!.id);
  expect(body.runs.filter((r) => r.report).every((r) => r.report!.drifted.length === 0)).toBe(true);
  expect(await api("/api/reconcile/runs?limit=0")).toMatchObject({ status: 400, body: { error: "bad request", reason: expect.stringContaining("limit") } });
  expect(await api("/api/reconcile?entity=products")).toMatchObject({ status: 400, body: { error: "bad request", reason: expect.stringContaining("entity") } });
  expect((await api("/api/reconcile", "not-a-token-of-this-console")).status).toBe(401);
});

it("two replicas run each round once between them, and stop cleanly", async () => {
  const rows = await t.sql<Array<{ actor: string; entity: string; status: string; started_at: Date; finished_at: Date | null }>>`
    select actor, entity, status, started_at, finished_at from go_live_runs where kind = 'reconcile' order by id`;
  const scheduled = rows.map((r) => ({ ...r, round: Number(/^schedule \(round (\d+)\) /.exec(r.actor)?.[1]), owner: r.actor.replace(/^schedule \(round \d+\) /, "") }));
  const rounds = [...new Set(scheduled.map((r) => r.round))];
  expect(rounds.length).toBeGreaterThanOrEqual(3);
  for (const round of rounds) {
    const of = scheduled.filter((r) => r.round === round);
    expect({ round, entities: of.map((r) => r.entity), owners: new Set(of.map((r) => r.owner)).size }).toEqual({ round, entities: ["orders", "customers"], owners: 1 });
  }
  // One round after another: none started before the one before it had ended.
  for (let i = 1; i < scheduled.length; i++) expect(scheduled[i]!.started_at.getTime()).toBeGreaterThanOrEqual(scheduled[i - 1]!.finished_at?.getTime() ?? Infinity);

  // SIGTERM: a round in hand ends (reported, or stopped after its current pair), nothing is left running.
  const codes = await Promise.all(["resolver", "resolver-2"].map((name) => t.system.process(name).stop()));
  expect(codes).toEqual([0, 0]);
  const open = await t.sql`select id from go_live_runs where kind = 'reconcile' and finished_at is null`;
  expect(open).toHaveLength(0);
});
