import type { ReconcileScheduleRecord } from "@concord/contracts";
import { decideRound } from "./reconcile-schedule";

const H = 3_600_000;
const at = (iso: string) => Date.parse(iso);
const record = (over: Partial<ReconcileScheduleRecord>): ReconcileScheduleRecord => ({
  intervalMs: H,
  round: Math.floor(at("2026-12-01T10:00:00Z") / H),
  owner: "resolver@a:1",
  heal: false,
  startedAt: "2026-12-01T10:00:05.000Z",
  finishedAt: "2026-12-01T10:03:00.000Z",
  until: at("2026-12-01T10:03:00Z"),
  runIds: [1, 2],
  error: null,
  ...over,
});

it.each([
  ["no round ever ran: the current one runs at once", null, "2026-12-01T10:20:00Z", true],
  ["the round ran already", record({}), "2026-12-01T10:59:59Z", false],
  ["the clock left the round: the next one is due", record({}), "2026-12-01T11:00:00Z", true],
  ["several rounds were missed (all replicas down): one run, not a catch-up of each", record({}), "2026-12-01T15:30:00Z", true],
  ["the last round still runs on a replica holding it", record({ finishedAt: null, until: at("2026-12-01T11:00:30Z") }), "2026-12-01T11:00:10Z", false],
  ["the last round's replica died (its hold lapsed): the next round runs", record({ finishedAt: null, until: at("2026-12-01T10:04:00Z") }), "2026-12-01T11:00:10Z", true],
  ["a lapsed hold within the same round does not run it twice", record({ finishedAt: null, until: at("2026-12-01T10:04:00Z") }), "2026-12-01T10:30:00Z", false],
  ["a round started under a longer interval: the new interval counts from its start", record({ intervalMs: 24 * H }), "2026-12-01T11:00:00Z", true],
] as const)("%s", (_what, last, now, runs) => {
  const decision = decideRound(last, at(now), H);
  expect(decision.run).toBe(runs);
  if (decision.run) expect(decision.round).toBe(Math.floor(at(now) / H));
});

it("says why it waits", () => {
  expect(decideRound(record({ finishedAt: null, until: at("2026-12-01T11:00:30Z") }), at("2026-12-01T11:00:10Z"), H)).toEqual({ run: false, reason: `round ${Math.floor(at("2026-12-01T10:00:00Z") / H)} is still running on resolver@a:1` });
});
