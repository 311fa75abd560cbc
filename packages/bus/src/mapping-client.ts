import { randomUUID } from "node:crypto";
import type { NatsConnection } from "@nats-io/nats-core";
import {
  ClaimReplySchema,
  ConfirmReplySchema,
  CreateAttemptReplySchema,
  LeaseReplySchema,
  ReleaseReplySchema,
  ResolveReplySchema,
  SyncStateGetReplySchema,
  SyncStateRecordReplySchema,
  MarkDeletedReplySchema,
  ReviveReplySchema,
  ConflictsRecordReplySchema,
  DecisionOpenReplySchema,
  retryable,
  type Candidate,
  type Conflict,
  type ClaimRequest,
  type Mapping,
  type RecordRef,
  type Subjects,
  type System,
} from "@concord/contracts";
import { requestRpc } from "./rpc";

/** Typed request/reply client of the mapping service (the only owner of identity and sync state). */
export function createMappingClient(nc: NatsConnection, subjects: Subjects) {
  const rpc = subjects.rpc;
  return {
    resolve: async (ref: RecordRef, targetSystem: System) =>
      (await requestRpc(nc, rpc.mappingResolve, { ref, targetSystem }, ResolveReplySchema)).mapping,
    claim: (request: ClaimRequest) => requestRpc(nc, rpc.mappingClaim, request, ClaimReplySchema),
    /** With the lease holder's token (from `withLease`) the confirm is fenced: a lost lease cannot confirm. */
    confirm: async (mappingId: number, targetId: string, owner?: string, createdBy?: string) =>
      (await requestRpc(nc, rpc.mappingConfirm, { mappingId, targetId, ...(owner ? { owner } : {}), ...(createdBy ? { createdBy } : {}) }, ConfirmReplySchema)).mapping,
    /** Business keys could not decide: open a decision for people (idempotent per pair); the pair awaits it. */
    openDecision: async (mappingId: number, summary: string, reason: string, candidates: Candidate[]) =>
      (await requestRpc(nc, rpc.decisionOpen, { mappingId, summary, reason, candidates }, DecisionOpenReplySchema)).decision,
    /** A create is about to be sent (`begin`: in doubt from now on) or failed for sure (`abandon`). Fenced. */
    createAttempt: async (mappingId: number, owner: string, action: "begin" | "abandon") =>
      (await requestRpc(nc, rpc.mappingCreateAttempt, { mappingId, owner, action }, CreateAttemptReplySchema)).mapping,
    lease: (mappingId: number, owner: string, ttlMs: number) => requestRpc(nc, rpc.mappingLease, { mappingId, owner, ttlMs }, LeaseReplySchema),
    release: (mappingId: number, owner: string) => requestRpc(nc, rpc.mappingRelease, { mappingId, owner }, ReleaseReplySchema),
    getState: async (mappingId: number, side: System) =>
      (await requestRpc(nc, rpc.syncStateGet, { mappingId, side }, SyncStateGetReplySchema)).state,
    recordState: (mappingId: number, side: System, version: string, hash: string, expectHash: string | null, values: Record<string, unknown> | null = null) =>
      requestRpc(nc, rpc.syncStateRecord, { mappingId, side, version, hash, expectHash, values }, SyncStateRecordReplySchema),
    /** `side`: whose record was deleted — only that record's return revives the pair. */
    markDeleted: async (mappingId: number, side?: System) => (await requestRpc(nc, rpc.mappingMarkDeleted, { mappingId, ...(side ? { side } : {}) }, MarkDeletedReplySchema)).mapping,
    revive: async (mappingId: number) => (await requestRpc(nc, rpc.mappingRevive, { mappingId }, ReviveReplySchema)).mapping,
    recordConflicts: async (conflicts: Conflict[]) => (await requestRpc(nc, rpc.conflictsRecord, { conflicts }, ConflictsRecordReplySchema)).recorded,

    /**
     * Runs `work` while holding the pair's lease, so exactly one writer replica at a time does
     * find-before-create-or-update for it. A busy lease is retryable: the message comes back later.
     */
    async withLease<T>(mapping: Mapping, worker: string, ttlMs: number, work: (owner: string) => Promise<T>, onRenew?: () => void): Promise<T> {
      // One token per acquisition: two handlers of the same process must exclude each other too.
      const owner = `${worker}:${randomUUID()}`;
      const lease = await requestRpc(nc, rpc.mappingLease, { mappingId: mapping.id, owner, ttlMs }, LeaseReplySchema);
      if (!lease.acquired) {
        throw retryable("LEASE_BUSY", `mapping ${mapping.id} is being written by another worker`, { retryAfterMs: 500 });
      }
      // Renewed while working (a slow target call must not let the lease lapse under it); a
      // renewal that fails leaves the lease to expire, and the fenced steps refuse after that.
      const renew = setInterval(() => {
        onRenew?.();
        requestRpc(nc, rpc.mappingLease, { mappingId: mapping.id, owner, ttlMs }, LeaseReplySchema).catch(() => undefined);
      }, Math.max(1_000, Math.floor(ttlMs / 3)));
      try {
        return await work(owner);
      } finally {
        clearInterval(renew);
        await requestRpc(nc, rpc.mappingRelease, { mappingId: mapping.id, owner }, ReleaseReplySchema).catch(() => undefined);
      }
    },
  };
}

export type MappingClient = ReturnType<typeof createMappingClient>;
