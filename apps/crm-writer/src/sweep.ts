import { ChangeEventSchema, type ChangeEvent, type Subjects } from "@concord/contracts";
import { publishChange, type Bus, type StateStore } from "@concord/bus";
import type { Bitrix24Client } from "@concord/bitrix24-client";
import type { Logger } from "@concord/telemetry";

export type SweptEntity = "deal" | "company" | "contact";

export interface SweepDeps {
  bus: Bus;
  subjects: Subjects;
  client: Bitrix24Client;
  state: StateStore;
  logger: Logger;
  owner: string;
  intervalMs: number;
  /** How far before the cursor each sweep re-reads: covers clock skew and late commits. */
  overlapMs: number;
}

const METHOD: Record<SweptEntity, string> = { deal: "crm.deal.list", company: "crm.company.list", contact: "crm.contact.list" };
const PAGE = 50;
/** Most versions remembered from the overlap window; beyond it a re-read record is re-published (and deduplicated by JetStream). */
const SEEN_MAX = 5_000;

/**
 * Where a sweep stands: the newest DATE_MODIFY fully read, and the version of every record read
 * within the overlap before it — so re-reading the overlap publishes nothing already published.
 */
export interface SweepCursor {
  at: number;
  /** id → DATE_MODIFY (ms) of records published at or after `at - overlap`. */
  seen: Record<string, number>;
}

/** Bitrix24's filter date form: ISO seconds with an offset. */
const b24Date = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "+00:00");

export interface SweptRow {
  id: string;
  modifiedMs: number;
}

/**
 * Keyset paging by (DATE_MODIFY, ID) with Bitrix24's filters, which know no OR: the rest of a
 * second already partly read (`=DATE_MODIFY`, `>ID`), then everything after it (`>DATE_MODIFY`),
 * both ordered by DATE_MODIFY then ID. So a record changed during a long sweep moves behind the
 * position and is read later in the same run — never skipped — and no page is read twice.
 */
export function pageQuery(position: { at: number; id: number }, drainingSecond: boolean) {
  return drainingSecond
    ? { filter: { "=DATE_MODIFY": b24Date(position.at), ">ID": position.id }, order: { ID: "ASC" }, select: ["ID", "DATE_MODIFY"], start: -1 }
    : { filter: { ">DATE_MODIFY": b24Date(position.at) }, order: { DATE_MODIFY: "ASC", ID: "ASC" }, select: ["ID", "DATE_MODIFY"], start: -1 };
}

/** Which rows to publish (pure): those whose version is not already recorded in the cursor. */
export function rowsToPublish(rows: readonly SweptRow[], seen: Readonly<Record<string, number>>): SweptRow[] {
  return rows.filter((row) => seen[row.id] !== row.modifiedMs);
}

/** The cursor after a run (pure): at the newest version read; versions older than the overlap forgotten. */
export function advanceCursor(cursor: SweepCursor, read: readonly SweptRow[], overlapMs: number): SweepCursor {
  const at = Math.max(cursor.at, ...read.map((r) => r.modifiedMs));
  const seen: Record<string, number> = {};
  const entries = [...Object.entries(cursor.seen), ...read.map((r) => [r.id, r.modifiedMs] as const)]
    .filter(([, modified]) => modified >= at - overlapMs)
    .sort((a, b) => a[1] - b[1])
    .slice(-SEEN_MAX);
  for (const [id, modified] of entries) seen[id] = Math.max(seen[id] ?? 0, modified);
  return { at, seen };
}

/**
 * The catch-up sweep of one CRM entity: Bitrix24's online events are at most once, so on a
 * schedule this reads the records modified since the stored cursor (minus an overlap) and
 * publishes the same change events a webhook would — only for versions not published before, so
 * an idle portal costs one list request per sweep and nothing downstream. One replica sweeps an
 * entity at a time (a lease in the state store); the cursor is saved after each page whose
 * publishes were all acknowledged, so it advances only to what was fully read.
 */
export function createCrmSweep(entity: SweptEntity, deps: SweepDeps) {
  const { bus, subjects, client, state, logger } = deps;
  const cursorKey = `sweep.bitrix24.${entity}.cursor`;
  const leaseKey = `sweep.bitrix24.${entity}.lease`;

  return async function sweep(): Promise<{ published: number; read: number; requests: number; cursor: string } | null> {
    if (!(await state.tryLease(leaseKey, deps.owner, deps.intervalMs * 3))) return null;
    const stored = await state.getJson<Partial<SweepCursor> & { since?: string }>(cursorKey);
    // The cursor of earlier versions (`{ since }`) carries on; no cursor: start now, not a backfill.
    const startAt = stored?.value.at ?? (stored?.value.since ? Date.parse(stored.value.since) : Date.now());
    let cursor: SweepCursor = { at: startAt, seen: stored?.value.seen ?? {} };
    // One second earlier, so `>DATE_MODIFY` includes the first second of the overlap.
    let position = { at: startAt - deps.overlapMs - 1_000, id: Number.MAX_SAFE_INTEGER };
    let draining = false;
    let published = 0;
    let read = 0;
    let requests = 0;
    for (;;) {
      const page = await client.call<{ result: Array<Record<string, unknown>> }>(METHOD[entity], pageQuery(position, draining));
      requests++;
      const rows = page.result.map((r) => ({ id: String(r.ID), modifiedMs: Date.parse(String(r.DATE_MODIFY)) })).filter((r) => Number.isFinite(r.modifiedMs));
      read += rows.length;
      for (const row of rowsToPublish(rows, cursor.seen)) {
        const modified = new Date(row.modifiedMs).toISOString();
        const event: ChangeEvent = ChangeEventSchema.parse({
          v: 1,
          type: "change",
          system: "bitrix24",
          entity,
          sourceId: row.id,
          action: "upsert",
          sourceVersion: `sweep@${modified}`,
          occurredAt: modified,
          receivedAt: new Date().toISOString(),
          via: "sweep",
        });
        await publishChange(bus.js, subjects, event);
        published++;
      }
      cursor = advanceCursor(cursor, rows, deps.overlapMs);
      // Only after every publish of the page was acknowledged.
      if (rows.length > 0) await state.putJson(cursorKey, cursor);
      const last = rows.at(-1);
      if (page.result.length < PAGE) {
        if (!draining) break;
        draining = false; // that second is done: go on after it
        continue;
      }
      if (last) {
        // A full page: drain the rest of its last second by id, then go on after it.
        draining = true;
        position = { at: last.modifiedMs, id: Number(last.id) };
      }
    }
    if (published > 0) logger.info(`bitrix24 ${entity} sweep`, { published, read, requests, cursor: new Date(cursor.at).toISOString() });
    return { published, read, requests, cursor: new Date(cursor.at).toISOString() };
  };
}

/** The deal sweep, as before. */
export const createDealSweep = (deps: SweepDeps) => createCrmSweep("deal", deps);
