import { ChangeEventSchema, SchemaVersions, changeEventId, type Subjects } from "@concord/contracts";
import { publishJson, type Bus, type StateStore } from "@concord/bus";
import type { OnecClient } from "@concord/onec-client";
import type { Logger } from "@concord/telemetry";
import { OnecSets } from "./projection";

export interface OrderSweepDeps {
  bus: Bus;
  subjects: Subjects;
  onec: OnecClient;
  state: StateStore;
  logger: Logger;
  owner: string;
  intervalMs: number;
}

const PAGE = 500;
const LEASE = "sweep.onec.order.lease";
const SEEDED = "sweep.onec.order.seeded";
const versionKey = (ref: string) => `sweep.onec.order.v.${ref}`;

/**
 * The 1C fallback when a notification was lost: 1C has no change feed and catalogs no
 * modification date, so the sweep reads every order's `DataVersion` (which changes on every
 * write) and publishes a change event for each that differs from the last one seen — with the
 * same dedupe id as the notification, so a change seen both ways is stored once. The first run
 * only records the versions: turning Concord on must not replay a whole base (that is a backfill).
 */
export function createOrderSweep(deps: OrderSweepDeps) {
  const { bus, subjects, onec, state, logger } = deps;

  return async function sweepOrders(): Promise<{ published: number; seeded: boolean } | null> {
    if (!(await state.tryLease(LEASE, deps.owner, deps.intervalMs * 3))) return null;
    const seeding = (await state.getJson(SEEDED)) === null;
    let published = 0;
    for (let skip = 0; ; skip += PAGE) {
      const page = await onec.list(OnecSets.order, { select: ["Ref_Key", "DataVersion"], orderby: "Ref_Key", top: PAGE, skip });
      for (const order of page) {
        const ref = order.Ref_Key.toLowerCase();
        const version = String(order.DataVersion);
        const seen = await state.getJson<string>(versionKey(ref));
        if (seen?.value === version) continue;
        if (!seeding) {
          const event = ChangeEventSchema.parse({
            v: 1,
            type: "change",
            system: "onec",
            entity: "order",
            sourceId: ref,
            action: "upsert",
            sourceVersion: version,
            occurredAt: new Date().toISOString(),
            receivedAt: new Date().toISOString(),
            via: "sweep",
          });
          await publishJson(bus.js, subjects.event("onec", "order"), event, { msgId: changeEventId(event), schema: SchemaVersions.change });
          published++;
        }
        // Only after the publish was acknowledged.
        await state.putJson(versionKey(ref), version);
      }
      if (page.length < PAGE) break;
    }
    if (seeding) await state.putJson(SEEDED, new Date().toISOString());
    if (published > 0 || seeding) logger.info("1c order sweep", { published, seeded: seeding });
    return { published, seeded: seeding };
  };
}
