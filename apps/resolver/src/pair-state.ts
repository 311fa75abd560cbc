import { contentHash, type Entity, type SourceVersion, type SyncState } from "@concord/contracts";
import type { MappingClient } from "@concord/bus";
import { currentTraceId } from "@concord/telemetry";
import type { FieldConflict } from "./reconcile-fields";

export interface PairState<V> {
  crm: SyncState | null;
  onec: SyncState | null;
  /** Each side's view at the last sync, for conflict detection. */
  last: { crm: V | null; onec: V | null };
}

/** Both sides' sync state of a pair. */
export async function readPairState<V>(mapping: MappingClient, mappingId: number): Promise<PairState<V>> {
  const [crm, onec] = await Promise.all([mapping.getState(mappingId, "bitrix24"), mapping.getState(mappingId, "onec")]);
  return { crm, onec, last: { crm: (crm?.values as V | null) ?? null, onec: (onec?.values as V | null) ?? null } };
}

/** Records a reconcile's conflicts once per (pair, field, revealing change). */
export async function recordConflicts<F extends string>(mapping: MappingClient, mappingId: number, entity: Entity, conflicts: Array<FieldConflict<F>>, messageId: string) {
  if (conflicts.length === 0) return;
  await mapping.recordConflicts(conflicts.map((c) => ({ mappingId, entity, ...c, messageId, traceId: currentTraceId() })));
}

/** Both sides agree: their views become the new sync point (compare-and-set on each side). */
export async function recordAgreement<V extends object>(
  mapping: MappingClient,
  mappingId: number,
  state: PairState<V>,
  views: { crm: V; onec: V },
  versions: { crm: SourceVersion; onec: SourceVersion },
) {
  const record = (side: "bitrix24" | "onec", view: V, version: SourceVersion, current: SyncState | null) =>
    mapping.recordState(mappingId, side, JSON.stringify(version), contentHash(view), current?.lastHash ?? null, { ...view } as Record<string, unknown>);
  await record("bitrix24", views.crm, versions.crm, state.crm);
  await record("onec", views.onec, versions.onec, state.onec);
}
