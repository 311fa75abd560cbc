import { ChangeEventSchema, type Subjects } from "@concord/contracts";
import { publishChange, type Bus, type StateStore } from "@concord/bus";
import type { Bitrix24Client } from "@concord/bitrix24-client";
import type { Logger } from "@concord/telemetry";

export interface ExistenceCheckDeps {
  bus: Bus;
  subjects: Subjects;
  client: Bitrix24Client;
  state: StateStore;
  logger: Logger;
  owner: string;
  intervalMs: number;
}

const PAGE = 50;
const BUCKETS = 64;
const bucketOf = (id: number) => (id % BUCKETS).toString(16).padStart(2, "0");

/** Ids kept before and absent from the listing now (pure): deleted since the last check. */
export function vanished(kept: readonly number[], listed: ReadonlySet<number>): number[] {
  return kept.filter((id) => !listed.has(id));
}

/**
 * Catches a lost delete webhook: Bitrix24 sends deletes once and a deleted deal no longer shows
 * in any "modified since" sweep. On a schedule this lists every deal id (50 per request, keyset
 * on ID, no count) and compares the list with the previous one, kept in the state store; an id
 * gone since publishes a delete event, which the resolver confirms by reading the deal before
 * acting. The first run only records the ids.
 */
export function createDealExistenceCheck(deps: ExistenceCheckDeps) {
  const { bus, subjects, client, state, logger } = deps;
  const key = (bucket: string) => `existence.bitrix24.deal.ids.${bucket}`;

  return async function checkDeals(): Promise<{ listed: number; deleted: number; requests: number; seeded: boolean } | null> {
    if (!(await state.tryLease("existence.bitrix24.deal.lease", deps.owner, deps.intervalMs * 3))) return null;
    const listed = new Set<number>();
    let requests = 0;
    for (let lastId = 0; ; ) {
      const page = await client.call<{ result: Array<Record<string, unknown>> }>("crm.deal.list", { filter: { ">ID": lastId }, order: { ID: "ASC" }, select: ["ID"], start: -1 });
      requests++;
      for (const row of page.result) listed.add(Number(row.ID));
      const last = page.result.at(-1);
      if (page.result.length < PAGE || !last) break;
      lastId = Number(last.ID);
    }
    const seeded = (await state.getJson("existence.bitrix24.deal.seeded")) === null;
    let deleted = 0;
    const checkedAt = new Date().toISOString();
    const byBucket = new Map<string, number[]>();
    for (const id of listed) byBucket.set(bucketOf(id), [...(byBucket.get(bucketOf(id)) ?? []), id]);
    for (let i = 0; i < BUCKETS; i++) {
      const bucket = i.toString(16).padStart(2, "0");
      const kept = (await state.getJson<number[]>(key(bucket)))?.value ?? [];
      for (const id of seeded ? [] : vanished(kept, listed)) {
        const event = ChangeEventSchema.parse({
          v: 1,
          type: "change",
          system: "bitrix24",
          entity: "deal",
          sourceId: String(id),
          action: "delete",
          sourceVersion: `gone@${checkedAt}`,
          occurredAt: checkedAt,
          receivedAt: checkedAt,
          via: "sweep",
        });
        await publishChange(bus.js, subjects, event);
        deleted++;
      }
      const now = byBucket.get(bucket) ?? [];
      // Only after the deletes' publishes were acknowledged.
      if (now.length !== kept.length || vanished(kept, listed).length > 0) await state.putJson(key(bucket), now);
    }
    if (seeded) await state.putJson("existence.bitrix24.deal.seeded", checkedAt);
    if (deleted > 0 || seeded) logger.info("bitrix24 deal existence check", { listed: listed.size, deleted, requests, seeded });
    return { listed: listed.size, deleted, requests, seeded };
  };
}
