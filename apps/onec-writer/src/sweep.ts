import { createHash } from "node:crypto";
import { ChangeEventSchema, type Subjects } from "@concord/contracts";
import { publishChange, type Bus, type MappingClient, type StateStore } from "@concord/bus";
import type { OnecClient } from "@concord/onec-client";
import type { Logger } from "@concord/telemetry";
import { OnecSets } from "./projection";

export type OnecSweptEntity = "order" | "counterparty" | "product";

export interface OrderSweepDeps {
  bus: Bus;
  subjects: Subjects;
  onec: OnecClient;
  state: StateStore;
  logger: Logger;
  owner: string;
  intervalMs: number;
  /** Used on the first sweep of an entity only: records that have a pair are compared, not absorbed. */
  mapping?: Pick<MappingClient, "resolve">;
}

const PAGE = 500;
/** Versions seen are kept in 256 KV keys per entity (by the Ref_Key's hash): 100,000 records are ~400 per key. */
const BUCKETS = 256;
const bucketNames = Array.from({ length: BUCKETS }, (_, i) => i.toString(16).padStart(2, "0"));

export const bucketOf = (ref: string) => createHash("sha1").update(ref).digest("hex").slice(0, 2);

/** Which records to publish (pure): the ones whose DataVersion differs from the one seen. */
export function changedRecords(page: ReadonlyArray<{ ref: string; version: string }>, seen: (ref: string) => string | undefined) {
  return page.filter((r) => seen(r.ref) !== r.version);
}

/**
 * The 1C fallback when a notification was lost: 1C has no change feed and catalogs no
 * modification date, so the sweep reads every record's `DataVersion` (which changes on every
 * write; one page of 500 `Ref_Key, DataVersion` pairs per request) and publishes a change event
 * for each that differs from the last one seen — with the same dedupe id as the notification, so
 * a change seen both ways is stored once. An unchanged base costs the list pages and nothing else.
 *
 * The first sweep of an entity (no versions kept yet, e.g. NATS' state lost) records the
 * versions without replaying the base — except records that have a pair: those are published, so
 * the resolver compares them with their sync state and a change made meanwhile is not absorbed.
 */
export function createOnecSweep(entity: OnecSweptEntity, deps: OrderSweepDeps) {
  const { bus, subjects, onec, state, logger } = deps;
  const lease = `sweep.onec.${entity}.lease`;
  const seededKey = `sweep.onec.${entity}.seeded`;
  const bucketKey = (bucket: string) => `sweep.onec.${entity}.versions.${bucket}`;
  const legacyKey = (ref: string) => `sweep.onec.${entity}.v.${ref}`;

  return async function sweep(): Promise<{ published: number; deleted: number; read: number; requests: number; seeded: boolean } | null> {
    if (!(await state.tryLease(lease, deps.owner, deps.intervalMs * 3))) return null;
    const seeding = (await state.getJson(seededKey)) === null;
    const buckets = new Map<string, { versions: Record<string, string>; revision: number | null; dirty: boolean }>();
    const bucket = async (ref: string, name = bucketOf(ref)) => {
      let entry = buckets.get(name);
      if (!entry) {
        const stored = await state.getJson<Record<string, string>>(bucketKey(name));
        entry = { versions: stored?.value ?? {}, revision: stored?.revision ?? null, dirty: false };
        buckets.set(name, entry);
      }
      return entry;
    };
    const flush = async () => {
      for (const [name, entry] of buckets) {
        if (!entry.dirty) continue;
        await state.putJson(bucketKey(name), entry.versions);
        entry.dirty = false;
      }
    };
    let published = 0;
    let deleted = 0;
    let read = 0;
    let requests = 0;
    const listed = new Set<string>();
    for (let skip = 0; ; skip += PAGE) {
      const page = await onec.list(OnecSets[entity], { select: ["Ref_Key", "DataVersion"], orderby: "Ref_Key", top: PAGE, skip });
      requests++;
      read += page.length;
      const records = page.map((r) => ({ ref: r.Ref_Key.toLowerCase(), version: String(r.DataVersion) }));
      const seen = new Map<string, string>();
      for (const { ref } of records) {
        listed.add(ref);
        // Versions kept one key per record by earlier releases count as seen too.
        const kept = await bucket(ref);
        let version = kept.versions[ref];
        if (version === undefined && !seeding) {
          version = (await state.getJson<string>(legacyKey(ref)))?.value;
          if (version !== undefined) {
            kept.versions[ref] = version;
            kept.dirty = true;
          }
        }
        if (version !== undefined) seen.set(ref, version);
      }
      for (const { ref, version } of changedRecords(records, (ref) => seen.get(ref))) {
        const paired = seeding && deps.mapping ? (await deps.mapping.resolve({ system: "onec", entity, id: ref }, "bitrix24")) !== null : false;
        if (!seeding || paired) {
          const event = ChangeEventSchema.parse({
            v: 1,
            type: "change",
            system: "onec",
            entity,
            sourceId: ref,
            action: "upsert",
            sourceVersion: version,
            occurredAt: new Date().toISOString(),
            receivedAt: new Date().toISOString(),
            via: "sweep",
          });
          await publishChange(bus.js, subjects, event);
          published++;
        }
        const kept = await bucket(ref);
        kept.versions[ref] = version;
        kept.dirty = true;
      }
      // Only after the page's publishes were acknowledged.
      await flush();
      if (page.length < PAGE) break;
    }
    // A record seen before and absent now was deleted (not marked: removed): a lost delete
    // notification is caught here, at no request beyond the pages. The resolver confirms it at
    // the source before acting, so one missed by paging during concurrent writes does no harm.
    if (!seeding) {
      const sweptAt = new Date().toISOString();
      for (const name of bucketNames) {
        const kept = buckets.get(name) ?? (await bucket("", name));
        for (const ref of Object.keys(kept.versions)) {
          if (listed.has(ref)) continue;
          const event = ChangeEventSchema.parse({
            v: 1,
            type: "change",
            system: "onec",
            entity,
            sourceId: ref,
            action: "delete",
            sourceVersion: `gone@${sweptAt}`,
            occurredAt: sweptAt,
            receivedAt: sweptAt,
            via: "sweep",
          });
          await publishChange(bus.js, subjects, event);
          delete kept.versions[ref];
          kept.dirty = true;
          deleted++;
        }
      }
      await flush();
    }
    if (seeding) await state.putJson(seededKey, new Date().toISOString());
    if (published > 0 || deleted > 0 || seeding) logger.info(`1c ${entity} sweep`, { published, deleted, read, requests, seeded: seeding });
    return { published, deleted, read, requests, seeded: seeding };
  };
}

/** The order sweep, as before. */
export const createOrderSweep = (deps: OrderSweepDeps) => createOnecSweep("order", deps);
