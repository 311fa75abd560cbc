import type { DecisionAction, DlqFilter, SyncError } from "@concord/contracts";
import type { AuditTrail } from "./audit";
import type { Caller } from "./auth";
import type { Decisions } from "./decisions";
import type { Operations } from "./operations";

/** Error codes of the operations and what they mean for an HTTP caller (the API's status and the pages'). */
const statusOfCode: Record<string, number> = {
  BAD_REQUEST: 400,
  NOT_RESYNCABLE: 409,
  DEAD_LETTER_NOT_FOUND: 404,
  DEAD_LETTER_NOT_OPEN: 409,
  DECISION_NOT_FOUND: 404,
  DECISION_CLOSED: 409,
  NOT_A_CANDIDATE: 422,
  TARGET_ALREADY_MAPPED: 409,
  RPC_UNAVAILABLE: 503,
  BUS_PUBLISH_FAILED: 503,
};

/** The HTTP status of an operation's refusal: by its code, else 422 for a permanent one and 503 for a retryable one. */
export const httpStatusOf = (error: SyncError): number => statusOfCode[error.code] ?? (error.kind === "permanent" ? 422 : 503);

/** A decision as people send it: link to a candidate, create new or ignore, and why. */
export interface DecideInput {
  action: DecisionAction;
  candidate?: string | undefined;
  reason?: string | undefined;
}

/**
 * What operators do, each recorded in the audit trail the same way whichever door it came
 * through: the JSON API (`app.ts`) and the web pages (`web/pages/`) both call these.
 */
export function createOperatorActions(deps: { operations: Operations; audit: AuditTrail; decisions?: Decisions | undefined }) {
  const { operations: ops, audit } = deps;

  /** One dead letter, its retry chain, and who did what with it (newest first). */
  async function deadLetterDetails(id: number) {
    const reply = await ops.get(id);
    const { entries } = await audit.list({ targetKind: "dead-letter", targetId: String(id), limit: 100 });
    return { ...reply, audit: entries };
  }

  function retry(caller: Caller, id: number, refresh: boolean) {
    return audit.act(caller, "dlq.retry", { kind: "dead-letter", id: String(id) }, async () => {
      const r = await ops.retry(id, refresh);
      return { value: r, detail: `${r.action} to ${r.subject} as ${r.messageId}${r.duplicate ? " (duplicate)" : ""}` };
    });
  }

  /** Every open dead letter matching the filter (the caller has shown how many first), one audit entry for the whole and one per letter. */
  async function retryMatching(caller: Caller, filter: Omit<DlqFilter, "status">, refresh: boolean) {
    const result = await audit.act(caller, "dlq.retry-bulk", { kind: "filter", id: JSON.stringify({ ...filter, refresh }) }, async () => {
      const r = await ops.retryMatching(filter, refresh);
      return { value: r, detail: `retried ${r.retried.map((x) => x.id).join(",") || "none"}; failed ${r.failed.map((x) => x.id).join(",") || "none"}` };
    });
    // Each retried letter gets its own entry too, so the details of any of them tell who retried it.
    for (const r of result.retried) await audit.note(caller, "dlq.retry", { kind: "dead-letter", id: String(r.id) }, "ok", `bulk: ${r.action} as ${r.messageId}`);
    return result;
  }

  function discard(caller: Caller, id: number, reason: string) {
    return audit.act(caller, "dlq.discard", { kind: "dead-letter", id: String(id) }, async () => ({ value: await ops.discard(id, reason), detail: reason }));
  }

  /** A person's decision on an ambiguous match; the held records resume by themselves. */
  function decide(caller: Caller, id: number, input: DecideInput) {
    const { decisions } = deps;
    if (!decisions) throw new Error("decisions are not available here");
    return audit.act(caller, "decision", { kind: "decision", id: String(id) }, async () => {
      const r = await decisions.decide({ id, action: input.action, ...(input.candidate ? { candidateId: input.candidate } : {}), actor: caller.name });
      const d = r.decision;
      return { value: r, detail: `${d.action}${d.chosenId ? ` ${d.chosenId}` : ""} for ${d.source.system} ${d.source.entity} ${d.source.id}${input.reason ? `; reason: ${input.reason}` : ""}` };
    });
  }

  return { deadLetterDetails, retry, retryMatching, discard, decide };
}
export type OperatorActions = ReturnType<typeof createOperatorActions>;
