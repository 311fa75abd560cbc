import { compareSourceVersions, type SourceVersion } from "./commands";

/** What a writer knows of a pair before it writes: the mapping row and its sync state on the target side. */
export interface PairWriteState {
  /** The mapping row is soft-deleted: a late command must not bring the record back. */
  deleted: boolean;
  /** The source version of the last command applied to this side, if any. */
  lastVersion: SourceVersion | null;
  /** The content hash of what Concord last wrote to this side, if any. */
  lastHash: string | null;
}

export type WriteDecision = { write: true } | { write: false; result: "skipped" | "stale" | "echo"; detail: string };

/**
 * The writers' rule, the same on both sides: never revive a deleted pair; never apply a command
 * built from an older source state than the one applied (stale); never repeat exactly what was
 * last written (echo). Ties in version are not stale: a re-read of the same state may carry
 * new content. Applied inside the pair's lease, followed by a compare-and-set of the state —
 * after a write and after an echo alike: an echo is that state applied, and without its version
 * recorded an older command arriving later would pass as new.
 */
export function decideWrite(state: PairWriteState, command: { sourceVersion: SourceVersion; contentHash: string }, checkEcho = true): WriteDecision {
  if (state.deleted) return { write: false, result: "skipped", detail: "the pair was deleted; a late command does not bring it back" };
  if (state.lastVersion && compareSourceVersions(command.sourceVersion, state.lastVersion) < 0) {
    return { write: false, result: "stale", detail: `built from ${command.sourceVersion.modifiedAt}, older than the applied ${state.lastVersion.modifiedAt}` };
  }
  if (checkEcho && state.lastHash !== null && state.lastHash === command.contentHash) {
    return { write: false, result: "echo", detail: "the target already holds exactly this content" };
  }
  return { write: true };
}

/**
 * Sync state `values` hold a side's view plus two keys of Concord's own, shared by the writers
 * and the resolver: `$written` — the target's version right after Concord's last write there,
 * and `$sent` — per field, the value Concord sent that the target keeps in another form.
 */
export const SyncMeta = { written: "$written", sent: "$sent" } as const;

/** The view a writer records after writing: what it meant to write, the version it left, and the stored forms still known. */
export function recordedAfterWrite(view: Record<string, unknown>, dataVersion: string, previous: Record<string, unknown> | null): Record<string, unknown> {
  // The command's own stored forms (the resolver's, current) win over the previous record's.
  const sent = view[SyncMeta.sent] ?? previous?.[SyncMeta.sent];
  return { ...view, [SyncMeta.written]: { dataVersion }, ...(sent && typeof sent === "object" ? { [SyncMeta.sent]: sent } : {}) };
}
