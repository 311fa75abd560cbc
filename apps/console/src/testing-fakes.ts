import type { AuditEntry, AuditListRequest, DeadLetterRecord, RecordRef } from "@concord/contracts";
import type { Operations } from "./operations";
import type { AuditBackend } from "./audit";

/** In-memory stand-ins of mapping's audit trail and of the operations, for tests of the HTTP layer. */
export function fakeAuditBackend(): AuditBackend & { entries: AuditEntry[] } {
  const entries: AuditEntry[] = [];
  return {
    entries,
    audit: (entry) => {
      const stored = { ...entry, id: entries.length + 1 };
      entries.push(stored);
      return Promise.resolve({ entry: stored });
    },
    auditList: (request: AuditListRequest) =>
      Promise.resolve({
        entries: entries
          .filter((e) => (!request.targetKind || e.targetKind === request.targetKind) && (!request.targetId || e.targetId === request.targetId) && (!request.actor || e.actor === request.actor))
          .reverse()
          .slice(0, request.limit ?? 100),
      }),
  };
}

export function fakeLetter(id: number): DeadLetterRecord {
  return {
    id,
    dlqStreamSeq: id,
    stage: "onec-writer",
    subject: "concord.commands.onec.order",
    stream: "COMMANDS",
    streamSeq: id,
    messageId: `cmd:${id}`,
    original: { data: "{}", headers: {}, sealed: "v1.sealed" },
    errorKind: "permanent",
    errorCode: "ONEC_REJECTED",
    errorMessage: "rejected",
    failureClass: "business",
    attempts: 1,
    firstFailedAt: "2026-05-01T12:00:00.000Z",
    lastFailedAt: "2026-05-01T12:00:00.000Z",
    traceId: null,
    flow: "bitrix24.deal→onec.order",
    system: "bitrix24",
    entity: "deal",
    recordId: "42",
    status: "open",
    retryOf: null,
    retryCount: 0,
    retriedAt: null,
    discardedAt: null,
    discardReason: null,
    resolvedAt: null,
    createdAt: "2026-05-01T12:00:00.000Z",
  };
}

export function fakeOperations(overrides: Partial<Record<keyof Operations, unknown>> = {}): Operations & { calls: Array<[string, unknown]> } {
  const calls: Array<[string, unknown]> = [];
  const ops = {
    calls,
    list: (q: unknown) => (calls.push(["list", q]), Promise.resolve({ deadLetters: [fakeLetter(1)], total: 1 })),
    get: (id: number) => (calls.push(["get", id]), Promise.resolve({ deadLetter: fakeLetter(id), history: [fakeLetter(id)] })),
    retry: (id: number, refresh: boolean) => (calls.push(["retry", { id, refresh }]), Promise.resolve({ id, action: "republished", subject: "s", messageId: `retry:${id}:1`, duplicate: false, deadLetter: fakeLetter(id) })),
    openMatching: () => Promise.resolve({ deadLetters: [fakeLetter(1)], total: 1 }),
    retryMatching: () => Promise.resolve({ retried: [], failed: [] }),
    discard: (id: number, reason: string) => (calls.push(["discard", { id, reason }]), Promise.resolve({ deadLetter: fakeLetter(id), changed: true })),
    resync: (ref: RecordRef) => (calls.push(["resync", ref]), Promise.resolve({ subject: "s", messageId: "m", duplicate: false })),
    ...overrides,
  };
  return ops as unknown as Operations & { calls: Array<[string, unknown]> };
}
