import type { AuditEntry, DeadLetterRecord, DlqGetReply } from "@concord/contracts";

const cut = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}…` : text);
const oneLine = (text: string) => text.replace(/\s+/g, " ").trim();
const shortTime = (iso: string | null) => (iso ? iso.replace("T", " ").replace(/\.\d+Z$/, "Z") : "—");

/** A plain text table: a header row and left-aligned columns. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ");
  return [line(header), ...rows.map(line)].join("\n");
}

const recordOf = (d: DeadLetterRecord) => (d.system && d.entity && d.recordId ? `${d.system}:${d.entity}:${d.recordId}` : "—");

export function formatList(list: { deadLetters: DeadLetterRecord[]; total: number }): string {
  if (list.deadLetters.length === 0) return "no dead letters match";
  const rows = list.deadLetters.map((d) => [
    String(d.id),
    d.status,
    shortTime(d.lastFailedAt),
    d.flow ?? "—",
    recordOf(d),
    d.errorCode,
    d.failureClass,
    String(d.attempts),
    cut(oneLine(d.errorMessage), 70),
  ]);
  const body = table(["ID", "STATUS", "LAST FAILED", "FLOW", "RECORD", "CODE", "CLASS", "TRIES", "MESSAGE"], rows);
  const more = list.total > list.deadLetters.length ? `\n(${list.deadLetters.length} of ${list.total}; narrow the filter or raise --limit)` : "";
  return body + more;
}

function prettyPayload(data: string): string {
  try {
    return JSON.stringify(JSON.parse(data), null, 2);
  } catch {
    return data;
  }
}

/** One dead letter for a person: what failed, why, how often, its trace, the payload and the retry history. */
export function formatShow(reply: DlqGetReply & { audit?: AuditEntry[] }, mask: (text: string) => string): string {
  const d = reply.deadLetter;
  if (!d) return "no such dead letter";
  const fields: Array<[string, string]> = [
    ["id", String(d.id)],
    ["status", d.status + (d.discardReason ? ` (${d.discardReason})` : "")],
    ["flow", d.flow ?? "—"],
    ["record", recordOf(d)],
    ["stage", d.stage],
    ["subject", d.subject],
    ["message id", d.messageId ?? "—"],
    ["error", `${d.errorCode} (${d.errorKind}, ${d.failureClass})`],
    ["message", oneLine(d.errorMessage)],
    ["attempts", String(d.attempts)],
    ["first failed", shortTime(d.firstFailedAt)],
    ["last failed", shortTime(d.lastFailedAt)],
    ["trace id", d.traceId ?? "—"],
    ["retry of", d.retryOf === null ? "—" : String(d.retryOf)],
    ["retried", d.retriedAt ? `${shortTime(d.retriedAt)} (${d.retryCount}×)` : "—"],
  ];
  const width = Math.max(...fields.map(([k]) => k.length));
  const out = fields.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
  if (reply.history.length > 1) {
    out.push("", "history (oldest first):");
    for (const h of reply.history) {
      out.push(`  ${h.id === d.id ? "*" : " "} ${h.id}  ${h.status.padEnd(9)}  ${shortTime(h.lastFailedAt)}  ${h.errorCode}  ${cut(oneLine(h.errorMessage), 60)}`);
    }
  }
  if (reply.audit && reply.audit.length > 0) {
    out.push("", "audit (newest first):");
    for (const a of reply.audit) out.push(`  ${shortTime(a.at)}  ${a.actor} (${a.role})  ${a.action}  ${a.result}  ${cut(oneLine(a.detail), 70)}`);
  }
  out.push("", "payload (masked):", prettyPayload(d.original.data));
  return mask(out.join("\n"));
}

/** A flow's mode as `GET /api/flows` returns it. */
export interface FlowView {
  flow: string;
  mode: string;
  since: string | null;
  record: { by: string; source: string } | null;
}

export function formatFlows(flows: FlowView[]): string {
  const rows = flows.map((f) => [f.flow, f.mode, shortTime(f.since), f.record ? `${f.record.source === "policy" ? "policy file" : f.record.by}` : "policy file (not recorded yet)"]);
  return table(["FLOW", "MODE", "SINCE", "SET BY"], rows);
}

/** The would-be writes of a flow in dry-run: when, which record, what would be written (already masked). */
export function formatWouldBeWrites(writes: Array<{ at: string; stage: string; subject: { system: string; entity: string; id: string }; detail: string }>): string {
  if (writes.length === 0) return "no would-be writes recorded";
  const rows = writes.map((w) => [shortTime(w.at), w.stage, `${w.subject.system}:${w.subject.entity}:${w.subject.id}`, cut(oneLine(w.detail.replace(/^dry-run \([^)]+\): /, "")), 160)]);
  return table(["AT", "STAGE", "RECORD", "WOULD WRITE"], rows);
}
