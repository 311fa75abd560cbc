import type { MatchResult, Pair } from "./match";
import { refKey, refText, type GoLiveEntity, type Ref } from "./records";

/** What a run found and did, per entity: the report printed, and written as CSV and JSON. */
export interface Report {
  kind: "backfill" | "rebuild" | "verify";
  entity: GoLiveEntity;
  apply: boolean;
  runId: number;
  read: Record<string, number>;
  results: MatchResult;
  /** Apply: what happened to each new pair and decision (linked, unchanged, refused: why). */
  applied: Array<{ source: string; outcome: string }>;
  startedAt: string;
  finishedAt: string;
  requests: { bitrix24: number; onec: number };
}

/** Counts by how pairs were found: { marker: 3, "match:innKpp": 2, article: 12 }. */
export function countBy(pairs: Pair[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of pairs) out[p.by] = (out[p.by] ?? 0) + 1;
  return out;
}

const csvCell = (value: string) => (/[",\n\r;]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
/** A cell a spreadsheet would run as a formula starts with a quote instead. */
const safe = (value: string) => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);
const ref = (r: Ref | null) => (r ? refKey(r) : "");

export const CSV_HEADER = ["kind", "entity", "source", "target", "by", "source_label", "target_label", "note", "candidates"] as const;

/** One line per pair, ambiguous record, unmatched record and disagreement; a decisions file can be made from the ambiguous lines. */
export function reportCsv(report: Report): string {
  const r = report.results;
  const rows: string[][] = [];
  for (const p of r.pairs) rows.push(["pair", r.entity, ref(p.source), ref(p.target), p.by, p.sourceLabel, p.targetLabel, "", ""]);
  for (const a of r.ambiguous) rows.push(["ambiguous", r.entity, ref(a.source), "", "", a.summary, "", a.reason, a.candidates.map((c) => `${c.id} ${c.label}${c.linkedTo ? ` (linked to ${c.linkedTo})` : ""}`).join(" | ")]);
  for (const side of ["bitrix24", "onec"] as const) for (const u of r.unmatched[side]) rows.push([`unmatched-${side}`, r.entity, ref(u.ref), "", "", u.label, "", u.note, ""]);
  for (const d of r.disagreements) rows.push(["disagreement", r.entity, ref(d.ref), "", "", "", "", d.note, ""]);
  for (const a of report.applied) rows.push(["applied", r.entity, a.source, "", "", "", "", a.outcome, ""]);
  return [CSV_HEADER.join(","), ...rows.map((row) => row.map((cell) => csvCell(safe(cell))).join(","))].join("\n") + "\n";
}

export function reportJson(report: Report): string {
  return JSON.stringify({ ...report, summary: summaryOf(report) }, null, 2);
}

export function summaryOf(report: Report) {
  const r = report.results;
  return {
    newPairs: r.pairs.length,
    byKey: countBy(r.pairs),
    alreadyMapped: r.alreadyMapped,
    ambiguous: r.ambiguous.length,
    unmatchedBitrix24: r.unmatched.bitrix24.length,
    unmatchedOnec: r.unmatched.onec.length,
    disagreements: r.disagreements.length,
  };
}

/** The report on screen: counts first, then every ambiguous record and disagreement (the unmatched are in the files). */
export function formatReport(report: Report, files: { csv: string; json: string } | null): string {
  const s = summaryOf(report);
  const r = report.results;
  const seconds = Math.max(0.001, (Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000);
  const read = Object.entries(report.read).map(([list, n]) => `${list} ${n}`).join(", ");
  const lines = [
    `${report.kind} ${report.entity} (run ${report.runId}, ${report.apply ? "applied" : "dry-run: nothing written; --apply writes"})`,
    `  read: ${read} in ${seconds.toFixed(1)} s; requests: Bitrix24 ${report.requests.bitrix24}, 1C ${report.requests.onec}`,
    `  ${report.apply ? "linked" : "would link"}: ${s.newPairs}${s.newPairs > 0 ? ` (${Object.entries(s.byKey).map(([k, n]) => `${k} ${n}`).join(", ")})` : ""}; already mapped: ${s.alreadyMapped}`,
    `  ambiguous (a person decides): ${s.ambiguous}; unmatched: Bitrix24 ${s.unmatchedBitrix24}, 1C ${s.unmatchedOnec}; disagreements: ${s.disagreements}`,
  ];
  for (const a of r.ambiguous.slice(0, 50)) {
    lines.push(`  ? ${a.summary}: ${a.reason}`);
    for (const c of a.candidates) lines.push(`      ${c.id}  ${c.label}${c.linkedTo ? ` (linked to ${c.linkedTo})` : ""}`);
  }
  if (r.ambiguous.length > 50) lines.push(`  … ${r.ambiguous.length - 50} more ambiguous records in the report files`);
  for (const d of r.disagreements.slice(0, 50)) lines.push(`  ! ${refText(d.ref)}: ${d.note}`);
  const refused = report.applied.filter((a) => !/^(linked|unchanged|decision)/.test(a.outcome));
  for (const a of refused.slice(0, 50)) lines.push(`  ✗ ${a.source}: ${a.outcome}`);
  if (files) lines.push(`  report: ${files.csv}, ${files.json}`);
  return lines.join("\n");
}
