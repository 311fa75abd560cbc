import type { ReconcileRun } from "@concord/contracts";
import { ReconcileQuerySchema, ReconcileRunsQuerySchema, pickLastRuns } from "./reconcile";

const at = "2026-12-01T10:00:00.000Z";
const run = (id: number, ended: boolean): ReconcileRun => ({
  id,
  entity: "orders",
  trigger: "schedule",
  actor: `schedule (round ${id}) resolver@h:1`,
  heal: false,
  status: ended ? "reported" : "checking",
  startedAt: at,
  finishedAt: ended ? at : null,
  checked: ended ? 1 : null,
  driftedCount: ended ? 0 : null,
  unreadableCount: ended ? 0 : null,
  healedCount: ended ? 0 : null,
  report: ended ? { runId: id, entity: "orders", heal: false, trigger: "schedule", checked: 1, drifted: [], unreadable: [], healed: [], stopped: false, startedAt: at, finishedAt: at } : null,
});

it.each([
  ["no run yet", [], null, null],
  ["the newest run ended", [run(3, true), run(2, false), run(1, true)], 3, null],
  ["a newer run is still checking", [run(5, false), run(4, true)], 4, 5],
  ["only runs without a report", [run(2, false), run(1, false)], null, 2],
])("the last run: %s", (_what, runs, last, unfinished) => {
  const picked = pickLastRuns(runs);
  expect([picked.last?.id ?? null, picked.unfinished?.id ?? null]).toEqual([last, unfinished]);
});

it("parses the queries strictly, with defaults", () => {
  expect(ReconcileQuerySchema.parse({})).toEqual({ drift: 200 });
  expect(ReconcileRunsQuerySchema.parse({ entity: "customers", trigger: "cli", limit: "5" })).toEqual({ entity: "customers", trigger: "cli", limit: 5, drift: 50 });
  expect(ReconcileRunsQuerySchema.safeParse({ limit: "0" }).success).toBe(false);
  expect(ReconcileQuerySchema.safeParse({ entity: "products" }).success).toBe(false);
  expect(ReconcileQuerySchema.safeParse({ since: "yesterday" }).success).toBe(false);
});
