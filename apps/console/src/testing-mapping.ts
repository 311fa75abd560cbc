import { serveRpc, type Bus } from "@concord/bus";
import {
  AuditListRequestSchema,
  AuditRecordRequestSchema,
  DecisionDecideRequestSchema,
  DecisionListRequestSchema,
  DlqGetRequestSchema,
  DlqListRequestSchema,
  DlqMarkRequestSchema,
  permanent,
  type AuditEntry,
  type DeadLetterRecord,
  type Decision,
  type Subjects,
} from "@concord/contracts";
import type { Logger } from "@concord/telemetry";

/**
 * Mapping's dead-letter, audit and decision request/reply, served on the test NATS from memory
 * (the console never imports mapping): the console's real clients, operations and audit trail
 * talk to it over the bus, and its replies are parsed by the real schemas. Its rules are
 * mapping's (`apps/mapping/src/dead-letters.ts`, `decisions.ts`): newest first, only an open
 * letter is marked, only an open decision is taken, a link only to a free candidate.
 */
export function serveMappingStandIn(nc: Bus["nc"], subjects: Subjects, logger: Logger, seed: { letters?: DeadLetterRecord[]; decisions?: Decision[]; mappedTargets?: string[] } = {}) {
  const letters = new Map((seed.letters ?? []).map((l) => [l.id, structuredClone(l)]));
  const decisions = new Map((seed.decisions ?? []).map((d) => [d.id, structuredClone(d)]));
  /** Target record ids already linked to another record (a link to them is refused). */
  const mapped = new Set(seed.mappedTargets ?? []);
  const audit: AuditEntry[] = [];
  const rpc = subjects.rpc;
  // Its own queue group: a real mapping on the same namespace would never share these subjects.
  const queue = `standin-${Math.random().toString(36).slice(2)}`;
  const subs: Array<ReturnType<typeof serveRpc>> = [
    serveRpc(
      nc,
      rpc.dlqList,
      DlqListRequestSchema,
      async (f) => {
        const matching = [...letters.values()]
          .filter(
            (l) =>
              (!f.flow || l.flow === f.flow) &&
              (!f.system || l.system === f.system) &&
              (!f.code || l.errorCode === f.code) &&
              (!f.status || l.status === f.status) &&
              (!f.from || Date.parse(l.lastFailedAt) >= Date.parse(f.from)) &&
              (!f.to || Date.parse(l.lastFailedAt) <= Date.parse(f.to)),
          )
          .sort((a, b) => b.id - a.id);
        return { deadLetters: matching.slice(0, f.limit), total: matching.length };
      },
      logger,
      queue,
    ),
    serveRpc(
      nc,
      rpc.dlqGet,
      DlqGetRequestSchema,
      async ({ id }) => {
        const letter = letters.get(id);
        if (!letter) return { deadLetter: null, history: [] };
        const chain = [letter];
        for (let back = letter; back.retryOf !== null && letters.has(back.retryOf); ) chain.unshift((back = letters.get(back.retryOf)!));
        for (let frontier = [letter.id]; frontier.length > 0; ) {
          const next = [...letters.values()].filter((l) => l.retryOf !== null && frontier.includes(l.retryOf)).sort((a, b) => a.id - b.id);
          chain.push(...next);
          frontier = next.map((l) => l.id);
        }
        return { deadLetter: letter, history: chain };
      },
      logger,
      queue,
    ),
    serveRpc(
      nc,
      rpc.dlqMark,
      DlqMarkRequestSchema,
      async (request) => {
        const letter = letters.get(request.id);
        if (!letter) throw permanent("DEAD_LETTER_NOT_FOUND", `dead letter ${request.id} does not exist`);
        const from = request.status === "resolved" ? ["open", "retried"] : ["open"];
        if (!from.includes(letter.status)) {
          if (letter.status === request.status) return { deadLetter: letter, changed: false };
          throw permanent("DEAD_LETTER_NOT_OPEN", `dead letter ${request.id} is ${letter.status}, so it cannot be marked ${request.status}`);
        }
        const now = new Date().toISOString();
        if (request.status === "retried") Object.assign(letter, { status: "retried", retriedAt: now, retryCount: letter.retryCount + 1 });
        else if (request.status === "discarded") Object.assign(letter, { status: "discarded", discardedAt: now, discardReason: request.reason });
        else Object.assign(letter, { status: "resolved", resolvedAt: now });
        return { deadLetter: letter, changed: true };
      },
      logger,
      queue,
    ),
    serveRpc(
      nc,
      rpc.auditRecord,
      AuditRecordRequestSchema,
      async (entry) => {
        const stored = { ...entry, id: audit.length + 1 };
        audit.push(stored);
        return { entry: stored };
      },
      logger,
      queue,
    ),
    serveRpc(
      nc,
      rpc.auditList,
      AuditListRequestSchema,
      async (r) => ({
        entries: audit
          .filter((e) => (!r.targetKind || e.targetKind === r.targetKind) && (!r.targetId || e.targetId === r.targetId) && (!r.actor || e.actor === r.actor))
          .reverse()
          .slice(0, r.limit),
      }),
      logger,
      queue,
    ),
    serveRpc(
      nc,
      rpc.decisionList,
      DecisionListRequestSchema,
      async (r) => ({
        decisions: [...decisions.values()]
          .filter((d) => r.status === "all" || d.status === r.status)
          .sort((a, b) => b.id - a.id)
          .slice(0, r.limit),
      }),
      logger,
      queue,
    ),
    serveRpc(
      nc,
      rpc.decisionDecide,
      DecisionDecideRequestSchema,
      async (request) => {
        const d = decisions.get(request.id);
        if (!d) throw permanent("DECISION_NOT_FOUND", `decision ${request.id} does not exist`);
        if (d.status === "superseded") throw permanent("DECISION_CLOSED", `decision ${request.id} is superseded: ${d.source.entity} ${d.source.id} was linked meanwhile by its counterpart's own match (mapping ${d.supersededBy ?? "?"})`);
        if (d.status !== "open") throw permanent("DECISION_CLOSED", `decision ${request.id} was already taken (${d.action ?? "?"} by ${d.decidedBy ?? "?"})`);
        let chosenId: string | null = null;
        if (request.action === "link") {
          const candidate = d.candidates.find((c) => c.id.toLowerCase() === request.candidateId?.toLowerCase());
          if (!candidate) throw permanent("NOT_A_CANDIDATE", `${request.candidateId} is not one of decision ${request.id}'s candidates (${d.candidates.map((c) => c.id).join(", ")})`);
          if (mapped.has(candidate.id)) throw permanent("TARGET_ALREADY_MAPPED", `${d.targetEntity} ${candidate.id} is already linked to another record (mapping 99); choose create or ignore, or unlink that one first`);
          chosenId = candidate.id;
          mapped.add(candidate.id);
        }
        Object.assign(d, { status: "decided", action: request.action, chosenId, decidedBy: request.actor, decidedAt: new Date().toISOString() });
        return { decision: d };
      },
      logger,
      queue,
    ),
  ];
  return {
    letters,
    decisions,
    audit,
    stop: () => {
      for (const sub of subs) sub.unsubscribe();
    },
  };
}
