import { ChangeEventSchema, SchemaVersions, changeEventId, type ChangeEvent, type Subjects } from "@concord/contracts";
import { publishJson, type Bus, type StateStore } from "@concord/bus";
import type { Bitrix24Client } from "@concord/bitrix24-client";
import type { Logger } from "@concord/telemetry";

export interface SweepDeps {
  bus: Bus;
  subjects: Subjects;
  client: Bitrix24Client;
  state: StateStore;
  logger: Logger;
  owner: string;
  intervalMs: number;
  /** How far before the cursor each sweep re-reads: covers clock skew and same-second edits. */
  overlapMs: number;
}

const CURSOR = "sweep.bitrix24.deal.cursor";
const LEASE = "sweep.bitrix24.deal.lease";
const PAGE = 50;

/** Bitrix24's filter date form: ISO seconds with an offset. */
const b24Date = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "+00:00");

/**
 * The catch-up sweep: Bitrix24's online events are at most once, so on a schedule this reads
 * every deal modified since the stored cursor (keyset paging on ID, `start=-1`) and publishes
 * the same change events a webhook would. One replica sweeps at a time (a lease in the state
 * store); the cursor advances only after every publish was acknowledged. A change seen both by
 * a webhook and by the sweep is processed twice at most, and the second pass finds nothing to do.
 */
export function createDealSweep(deps: SweepDeps) {
  const { bus, subjects, client, state, logger } = deps;

  return async function sweepDeals(): Promise<{ published: number; cursor: string } | null> {
    if (!(await state.tryLease(LEASE, deps.owner, deps.intervalMs * 3))) return null;
    const cursor = await state.getJson<{ since: string }>(CURSOR);
    const sinceMs = (cursor ? Date.parse(cursor.value.since) : Date.now()) - deps.overlapMs;
    let highWater = cursor ? Date.parse(cursor.value.since) : sinceMs;
    let lastId = 0;
    let published = 0;
    for (;;) {
      const page = await client.listDeals({
        filter: { ">=DATE_MODIFY": b24Date(sinceMs), ">ID": lastId },
        order: { ID: "ASC" },
        select: ["ID", "DATE_MODIFY"],
        start: -1,
      });
      for (const deal of page.result) {
        const modified = String(deal.DATE_MODIFY);
        const event: ChangeEvent = ChangeEventSchema.parse({
          v: 1,
          type: "change",
          system: "bitrix24",
          entity: "deal",
          sourceId: String(deal.ID),
          action: "upsert",
          sourceVersion: `sweep@${modified}`,
          occurredAt: new Date(Date.parse(modified)).toISOString(),
          receivedAt: new Date().toISOString(),
          via: "sweep",
        });
        await publishJson(bus.js, subjects.event("bitrix24", "deal"), event, { msgId: changeEventId(event), schema: SchemaVersions.change });
        published++;
        highWater = Math.max(highWater, Date.parse(modified));
        lastId = Number(deal.ID);
      }
      if (page.result.length < PAGE) break;
    }
    const next = new Date(highWater).toISOString();
    await state.putJson(CURSOR, { since: next });
    if (published > 0) logger.info("bitrix24 deal sweep", { published, cursor: next });
    return { published, cursor: next };
  };
}
