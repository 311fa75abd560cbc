import { SyncMeta, contentHash, type Entity, type SourceVersion, type SyncState } from "@concord/contracts";
import type { MappingClient } from "@concord/bus";
import { currentTraceId } from "@concord/telemetry";
import type { FieldConflict } from "./reconcile-fields";

export interface PairState<V> {
  crm: SyncState | null;
  onec: SyncState | null;
  /**
   * Each side's view at the last sync, for conflict detection, and per field the master value
   * that side keeps in another form (`sentTo*`: 1C cut a name to 100 characters, say).
   */
  last: SyncPoint<V>;
}

/** The last sync point as reconcileFields reads it. */
export interface SyncPoint<V> {
  crm: V | null;
  onec: V | null;
  sentToCrm?: Partial<V>;
  sentToOnec?: Partial<V>;
}

/** Both sides' sync state of a pair. */
export async function readPairState<V>(mapping: MappingClient, mappingId: number): Promise<PairState<V>> {
  const [crm, onec] = await Promise.all([mapping.getState(mappingId, "bitrix24"), mapping.getState(mappingId, "onec")]);
  const view = (state: SyncState | null) => (state?.values ? (stripMeta(state.values) as V) : null);
  return {
    crm,
    onec,
    last: { crm: view(crm), onec: view(onec), sentToCrm: sentOf<V>(crm), sentToOnec: sentOf<V>(onec) },
  };
}

/** Concord's own keys in sync state values (see SyncMeta): dropped from the view. */
const { written: WRITTEN, sent: SENT } = SyncMeta;

function stripMeta(values: Record<string, unknown>): Record<string, unknown> {
  const { [WRITTEN]: _written, [SENT]: _sent, ...view } = values;
  return view;
}

function sentOf<V>(state: SyncState | null): Partial<V> | undefined {
  const sent = state?.values?.[SENT];
  return sent && typeof sent === "object" ? (sent as Partial<V>) : undefined;
}

/** The 1C version recorded right after Concord's last write to that side, if any. */
function writtenVersion(state: SyncState | null): string | null {
  const written = state?.values?.[WRITTEN] as { dataVersion?: unknown } | undefined;
  return typeof written?.dataVersion === "string" ? written.dataVersion : null;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/**
 * The target has the last word on a value: when 1C has not changed since Concord's write (its
 * DataVersion is the one recorded right after it), every field that reads back differently
 * from what was written is 1C's stored form of it (truncated, trimmed, rounded). That form
 * becomes the echo reference for the value sent, so the difference never starts a write loop.
 * Returns the sync point to reconcile against and the fields learned (for the record's history).
 */
export function learnStoredForms<V extends object>(state: PairState<V>, currentVersion: string, current: V): { last: SyncPoint<V>; learned: Array<keyof V> } {
  const intended = state.last.onec;
  if (intended === null || writtenVersion(state.onec) !== currentVersion) return { last: state.last, learned: [] };
  const learned = (Object.keys(current) as Array<keyof V>).filter((field) => field in intended && !same(intended[field], current[field]));
  if (learned.length === 0) return { last: state.last, learned };
  const sentToOnec: Partial<V> = { ...state.last.sentToOnec };
  for (const field of learned) sentToOnec[field] = intended[field];
  return { last: { ...state.last, onec: { ...intended, ...pick(current, learned) }, sentToOnec }, learned };
}

/** The record's history says what 1C keeps in another form than sent, once, when it is learned. */
export function storedFormsNote<V extends object>(learned: Array<keyof V>, last: SyncPoint<V>, current: V): string {
  const show = (v: unknown) => {
    const text = typeof v === "string" ? v : JSON.stringify(v);
    return text.length > 60 ? `${JSON.stringify(text.slice(0, 57))}…` : JSON.stringify(text);
  };
  return `1C stores ${learned.map((f) => `${String(f)} as ${show(current[f])} (sent ${show(last.sentToOnec?.[f])})`).join(", ")}: kept as the echo reference, not written again`;
}

function pick<V extends object>(view: V, fields: Array<keyof V>): Partial<V> {
  const out: Partial<V> = {};
  for (const field of fields) out[field] = view[field];
  return out;
}

/** Records a reconcile's conflicts once per (pair, field, revealing change). */
export async function recordConflicts<F extends string>(mapping: MappingClient, mappingId: number, entity: Entity, conflicts: Array<FieldConflict<F>>, messageId: string) {
  if (conflicts.length === 0) return;
  await mapping.recordConflicts(conflicts.map((c) => ({ mappingId, entity, ...c, messageId, traceId: currentTraceId() })));
}

/**
 * Both sides agree: their views become the new sync point (compare-and-set on each side), with
 * the stored forms that still stand for the other side's current value.
 */
export async function recordAgreement<V extends object>(
  mapping: MappingClient,
  mappingId: number,
  state: PairState<V>,
  views: { crm: V; onec: V },
  versions: { crm: SourceVersion; onec: SourceVersion },
  last: SyncPoint<V> = state.last,
) {
  const record = (side: "bitrix24" | "onec", view: V, version: SourceVersion, current: SyncState | null, meta: object) =>
    mapping.recordState(mappingId, side, JSON.stringify(version), contentHash(view), current?.lastHash ?? null, { ...view, ...meta } as Record<string, unknown>);
  await record("bitrix24", views.crm, versions.crm, state.crm, standingStoredForms(last.sentToCrm, views.onec, views.crm));
  await record("onec", views.onec, versions.onec, state.onec, standingStoredForms(last.sentToOnec, views.crm, views.onec));
}

/**
 * The stored forms that still stand (the master still holds the value sent, and the target's
 * view keeps another form of it), as the `$sent` key of a sync point: recorded with an
 * agreement, and carried in a write command's view so the writer records them too.
 */
export function standingStoredForms<V extends object>(sent: Partial<V> | undefined, master: V, stored: V): Record<string, unknown> {
  const keep = (Object.keys(sent ?? {}) as Array<keyof V>).filter((f) => same(sent?.[f], master[f]) && !same(master[f], stored[f]));
  return keep.length > 0 ? { [SENT]: pick(sent as V, keep) } : {};
}
