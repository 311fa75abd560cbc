import { randomUUID } from "node:crypto";
import type { NatsConnection } from "@nats-io/nats-core";
import {
  ClaimReplySchema,
  ConfirmReplySchema,
  LeaseReplySchema,
  ReleaseReplySchema,
  ResolveReplySchema,
  SyncStateGetReplySchema,
  SyncStateRecordReplySchema,
  MarkDeletedReplySchema,
  ConflictsRecordReplySchema,
  retryable,
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
    confirm: async (mappingId: number, targetId: string) =>
      (await requestRpc(nc, rpc.mappingConfirm, { mappingId, targetId }, ConfirmReplySchema)).mapping,
    lease: (mappingId: number, owner: string, ttlMs: number) => requestRpc(nc, rpc.mappingLease, { mappingId, owner, ttlMs }, LeaseReplySchema),
    release: (mappingId: number, owner: string) => requestRpc(nc, rpc.mappingRelease, { mappingId, owner }, ReleaseReplySchema),
    getState: async (mappingId: number, side: System) =>
      (await requestRpc(nc, rpc.syncStateGet, { mappingId, side }, SyncStateGetReplySchema)).state,
    recordState: (mappingId: number, side: System, version: string, hash: string, expectHash: string | null, values: Record<string, unknown> | null = null) =>
      requestRpc(nc, rpc.syncStateRecord, { mappingId, side, version, hash, expectHash, values }, SyncStateRecordReplySchema),
    markDeleted: async (mappingId: number) => (await requestRpc(nc, rpc.mappingMarkDeleted, { mappingId }, MarkDeletedReplySchema)).mapping,
    recordConflicts: async (conflicts: Conflict[]) => (await requestRpc(nc, rpc.conflictsRecord, { conflicts }, ConflictsRecordReplySchema)).recorded,

    /**
     * Runs `work` while holding the pair's lease, so exactly one writer replica at a time does
     * find-before-create-or-update for it. A busy lease is retryable: the message comes back later.
     */
    async withLease<T>(mapping: Mapping, worker: string, ttlMs: number, work: () => Promise<T>): Promise<T> {
      // One token per acquisition: two handlers of the same process must exclude each other too.
      const owner = `${worker}:${randomUUID()}`;
      const lease = await requestRpc(nc, rpc.mappingLease, { mappingId: mapping.id, owner, ttlMs }, LeaseReplySchema);
      if (!lease.acquired) {
        throw retryable("LEASE_BUSY", `mapping ${mapping.id} is being written by another worker`, { retryAfterMs: 500 });
      }
      try {
        return await work();
      } finally {
        await requestRpc(nc, rpc.mappingRelease, { mappingId: mapping.id, owner }, ReleaseReplySchema).catch(() => undefined);
      }
    },
  };
}

export type MappingClient = ReturnType<typeof createMappingClient>;
