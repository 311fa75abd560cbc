import type { CheckReport, Invariant } from "./checker";
import type { DrainResult } from "./drain";
import type { FaultCounts } from "./faults";
import type { Profile } from "./profiles";
import type { WorkloadResult } from "./workload";
import type { DeciderResult } from "./legacy";

/** What the sandboxes themselves counted (the dice they rolled). */
export interface SandboxFaultStats {
  bitrix24Api: Record<string, number>;
  bitrix24Events: Record<string, number>;
  onecApi: Record<string, number>;
  onecNotifications: Record<string, number>;
}

export interface RunSummary {
  profile: Profile;
  seed: number;
  workload: WorkloadResult;
  userRetries: number;
  faults: FaultCounts;
  sandboxFaults: SandboxFaultStats;
  unexpectedExits: Array<{ name: string; code: number | null; error?: string }>;
  drain: DrainResult;
  /** Issue 11: requests Concord made to each target while the drained system sat idle. */
  idle: { ms: number; bitrix24: number; onec: number; bitrix24Methods: Record<string, number>; onecSets: Record<string, number> } | null;
  /** Windows in which a side's events were dropped on purpose (deletes, customer and product edits). */
  eventsLost: { bitrix24: number; onec: number };
  /** Issue 13: the decisions the person at the console took during the run. */
  decisions: DeciderResult;
  check: CheckReport;
  wallMs: number;
  logDir: string;
  /** The command that runs this workload and fault schedule again. */
  rerun: string;
}

const sum = (values: Record<string, number>) => Object.values(values).reduce((a, b) => a + b, 0);
const detail = (values: Record<string, number>, unit = "") =>
  Object.entries(values)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${Number.isInteger(n) ? n : n.toFixed(0)}${unit}`)
    .join(", ");

function table(rows: Array<[string, string]>): string[] {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`);
}

/** The extra checks beside the eight invariants: the run itself must have been sound. */
export function runChecks(summary: Pick<RunSummary, "drain" | "unexpectedExits" | "faults" | "profile">): Invariant[] {
  const { drain, unexpectedExits, faults, profile } = summary;
  return [
    {
      id: 9,
      name: "drained in time",
      pass: drain.drained,
      summary: drain.drained ? `quiet after ${(drain.drainMs / 1000).toFixed(1)} s (limit ${profile.drainTimeoutMs / 1000} s)` : `still busy after ${profile.drainTimeoutMs / 1000} s`,
      problems: drain.busy,
    },
    {
      id: 10,
      name: "services stay up",
      pass: unexpectedExits.length === 0 && faults.failures.length === 0,
      summary: `${unexpectedExits.length} exits not caused by a fault, ${faults.failures.length} fault actions failed`,
      problems: [...unexpectedExits.map((e) => (e.error ? `${e.name} could not be restarted: ${e.error}` : `${e.name} exited on its own with code ${e.code}`)), ...faults.failures],
    },
  ];
}

/** The legacy records seeded before the run, by kind. */
function legacySummary(w: WorkloadResult): string {
  const kinds = new Map<string, number>();
  for (const g of w.legacy) kinds.set(g.kind, (kinds.get(g.kind) ?? 0) + 1);
  const crm = w.legacy.reduce((n, g) => n + g.crm.length, 0);
  const onec = w.legacy.reduce((n, g) => n + g.onec.length, 0);
  return `${w.legacy.length} (${detail(Object.fromEntries(kinds))}): ${crm} CRM companies with requisites, ${onec} 1C counterparties`;
}

function decisionSummary(d: DeciderResult): string {
  const by = (a: string) => d.taken.filter((t) => t.action === a).length;
  const waits = d.taken.map((t) => (t.decidedAt - t.seenAt) / 1000);
  const wait = waits.length ? `, ${Math.min(...waits).toFixed(0)}–${Math.max(...waits).toFixed(0)} s after they showed` : "";
  return `${d.taken.length} (link ${by("link")}, create ${by("create")}, ignore ${by("ignore")}; ${d.taken.reduce((n, t) => n + t.refused, 0)} links refused${wait}; ${d.taken.filter((t) => t.duringFaults).length} inside the fault window), ${d.open} open at the end, ${d.superseded} superseded before the person took them, ${d.retries} console calls retried`;
}

export function renderReport(summary: RunSummary, checks: Invariant[]): string {
  const { workload: w, faults: f, sandboxFaults: s, check } = summary;
  const lines: string[] = [];
  lines.push("", `Concord chaos run — profile ${summary.profile.name}, seed ${summary.seed}`, "");
  lines.push("workload");
  lines.push(
    ...table([
      ["deals created in Bitrix24", `${w.deals.length} (${w.deals.filter((d) => d.poisoned).length} poisoned with stage UC_CHAOS1, ${w.deals.filter((d) => d.legacy).length} of legacy customers)`],
      ["orders created in 1C", `${w.onecOrders.length} (${w.onecOrders.filter((o) => o.legacy).length} of legacy customers)`],
      ["new customers", `${w.companiesCreated} CRM companies, ${w.counterpartiesCreated} 1C counterparties`],
      ["new 1C products", String(w.onecProductsCreated)],
      ["edits", `${w.crmEdits} in Bitrix24, ${w.onecEdits} in 1C, ${w.bothSidesEdits} pairs edited on both sides at once`],
      ["edits with no copy yet", String(w.editsWithoutCounterpart)],
      ["not Concord's (1C)", `${w.issue9.filledOrders} orders and ${w.issue9.filledCounterparties} counterparties created with them, ${w.issue9.unownedEdits} manager edits of them (${w.issue9.racingEdits} at once with a CRM edit of the pair; ${w.issue9.cancelledLines} lines cancelled)`],
      ["what 1C stores otherwise", `${w.issue9.longNames} CRM company titles over 100 characters`],
      ["deal rows set", `${w.issue9.discountedRows} with a discount, ${w.issue9.taxedRows} with a tax`],
      ["deletes (issues 10, 11)", `${w.identity.crmDeletes.length} deals deleted in Bitrix24 (${w.identity.crmDeletes.filter((d) => d.last === "restore").length} restored from the recycle bin), ${w.identity.onecMarks.length} orders marked for deletion in 1C (${w.identity.onecMarks.filter((m) => m.last === "unmark").length} unmarked)`],
      ["copies, forged deletes", `${w.identity.copies.length} 1C orders copied by a manager, ${w.identity.forged.length} forged ONCRMDEALDELETE posted to ingress`],
      ["events lost on purpose", `${summary.eventsLost.bitrix24} Bitrix24 and ${summary.eventsLost.onec} 1C windows (deletes ${[...w.identity.crmDeletes, ...w.identity.onecMarks].reduce((n, d) => n + d.lost, 0)}, customer edits ${w.identity.customerEditsLost.crm} CRM / ${w.identity.customerEditsLost.onec} 1C, product renames ${w.identity.productEdits.filter((e) => e.lost).length} of ${w.identity.productEdits.length})`],
      ["identity actions skipped", `${w.identity.skipped.length}${w.identity.skipped.length ? ` (${w.identity.skipped.slice(0, 3).join("; ")})` : ""}`],
      ["legacy customers (13)", legacySummary(w)],
      ["decisions taken", decisionSummary(summary.decisions)],
      ["user calls refused, retried", String(summary.userRetries)],
      ["workload failures", String(w.failures.length)],
    ]),
  );
  lines.push("", "faults injected");
  lines.push(
    ...table([
      ["SIGKILL + restart", `${sum(f.kills)} (${detail(f.kills)})${f.killsSkipped ? `, ${f.killsSkipped} skipped` : ""}`],
      ["NATS restarts", String(f.natsRestarts)],
      ["PostgreSQL restarts", String(f.postgresRestarts)],
      ["Bitrix24 API faults", `${sum(s.bitrix24Api)} (${detail(s.bitrix24Api) || "none"})`],
      ["1C OData faults", `${sum(s.onecApi)} (${detail(s.onecApi) || "none"})`],
      ["Bitrix24 event faults", `${sum(s.bitrix24Events)} (${detail(s.bitrix24Events) || "none"}; plus delays)`],
      ["1C notification faults", `${sum(s.onecNotifications)} (${detail(s.onecNotifications) || "none"}; plus delays, reordering)`],
      ["API fault phases", detail(f.apiPhaseSeconds, " s")],
      ["event fault phases", detail(f.eventPhaseSeconds, " s")],
      ["1C slow commits", `${f.slowCommitSeconds.toFixed(0)} s of order POSTs committed after Concord's ${summary.profile.onecTimeoutMs / 1000} s timeout`],
      ["1C outage", `${(f.outageSeconds.errors + f.outageSeconds.silent).toFixed(0)} s (${f.outageSeconds.errors.toFixed(0)} s every request 500, ${f.outageSeconds.silent.toFixed(0)} s no answer; retry budget ${summary.profile.retryBudgetMs / 1000} s)`],
      ["noisy neighbour", `${f.neighbour.seconds.toFixed(0)} s, ${f.neighbour.calls} calls of another client (${f.neighbour.refused} refused) on a budget of 50 at 2/s`],
    ]),
  );
  lines.push("", "invariants");
  for (const inv of checks) {
    lines.push(`  ${inv.pass ? "PASS" : "FAIL"}  ${String(inv.id).padStart(2)}. ${inv.name.padEnd(24)} ${inv.summary}`);
    for (const p of inv.problems) lines.push(`          - ${p}`);
  }
  const passed = checks.filter((c) => c.pass).length;
  lines.push("");
  lines.push(
    ...table([
      ["drain time", summary.drain.drained ? `${(summary.drain.drainMs / 1000).toFixed(1)} s` : "not drained"],
      ["duplicates found", String(check.duplicates)],
      ["losses found", String(check.losses)],
      ["writes per applied change", check.writes.ratio.toFixed(2)],
      ["unowned values changed", `${check.unowned.changed} of ${check.unowned.checked}`],
      ["legacy customers matched", `${check.matching.linkedByKeys} linked by keys, ${check.matching.createdNew} branch${check.matching.createdNew === 1 ? "" : "es"} created anew; by people: link ${check.matching.decided.link}, create ${check.matching.decided.create}, ignore ${check.matching.decided.ignore}; ${check.matching.open} left open, ${check.matching.held} held outcomes`],
      ["longest outage survived", `${(f.outageSeconds.errors + f.outageSeconds.silent).toFixed(0)} s of 1C (retry budget ${summary.profile.retryBudgetMs / 1000} s)`],
      ["dead letters of outages", `${check.outageLetters.duringOutage} (goal 0; ${check.outageLetters.other} letters in all beside the poisoned deals')`],
      [
        "requests in an idle hour",
        summary.idle
          ? `${Math.round((summary.idle.bitrix24 * 3_600_000) / summary.idle.ms)} Bitrix24, ${Math.round((summary.idle.onec * 3_600_000) / summary.idle.ms)} 1C (measured ${summary.idle.ms / 1000} s at sweeps every ${summary.profile.sweepIntervalMs / 1000} s / ${summary.profile.onecSweepIntervalMs / 1000} s: ${detail(summary.idle.bitrix24Methods) || "none"}; ${detail(summary.idle.onecSets) || "none"})`
          : "not measured (not drained)",
      ],
      ["wall time", `${(summary.wallMs / 1000).toFixed(0)} s`],
      ["logs", summary.logDir],
      ["seed", `${summary.seed}  (again: ${summary.rerun})`],
    ]),
  );
  if (w.failures.length > 0) lines.push("", "workload failures (first 10)", ...w.failures.slice(0, 10).map((l) => `  - ${l}`));
  lines.push("", `${passed} passed, ${checks.length - passed} failed`);
  return lines.join("\n");
}
