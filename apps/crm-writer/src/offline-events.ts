import { z } from "zod";
import { Bitrix24EventNames, ChangeEventSchema, isSyncError, type ChangeEvent } from "@concord/contracts";
import { publishChange } from "@concord/bus";
import type { Bitrix24Client } from "@concord/bitrix24-client";
import type { Logger } from "@concord/telemetry";
import type { SweepDeps } from "./sweep";

/** What the sweep needs, less its overlap: the queue hands each record out until it is cleared. */
export type OfflineEventsDeps = Omit<SweepDeps, "overlapMs">;

/** The reservation being worked on: kept so a crash between get and clear re-reads it, not loses it. */
const PENDING = "offline.bitrix24.pending";
const LEASE = "offline.bitrix24.lease";
const LIMIT = 50;

const OfflineRecordSchema = z.object({
  ID: z.coerce.string(),
  TIMESTAMP_X: z.string(),
  EVENT_NAME: z.string(),
  EVENT_DATA: z.object({ FIELDS: z.object({ ID: z.coerce.string().regex(/^\d{1,18}$/) }) }),
  MESSAGE_ID: z.string(),
});
type OfflineRecord = z.infer<typeof OfflineRecordSchema>;

const OfflineBatchSchema = z.object({ process_id: z.string().nullable(), events: z.array(z.unknown()) });

/** Binds every event Concord handles as offline (`event_type=offline`); an existing binding is fine. */
export async function bindOfflineEvents(client: Bitrix24Client, logger: Logger): Promise<void> {
  for (const event of Object.keys(Bitrix24EventNames)) {
    try {
      await client.result("event.bind", { event, event_type: "offline" });
    } catch (error) {
      if (!(isSyncError(error) && /already bind/i.test(error.message))) throw error;
    }
  }
  logger.info("bitrix24 offline events bound", { events: Object.keys(Bitrix24EventNames).length });
}

/**
 * A record of the queue as a change event. The queue keeps one row per object holding its
 * latest state, and a change made while a row is reserved becomes a new row with a new ID, so
 * the row's ID and time identify the state it announces: the dedupe id derives from both.
 */
export function toChangeEvent(record: OfflineRecord, receivedAt: Date): ChangeEvent | null {
  const known = Bitrix24EventNames[record.EVENT_NAME.toUpperCase() as keyof typeof Bitrix24EventNames];
  const occurredMs = Date.parse(record.TIMESTAMP_X);
  if (!known || Number.isNaN(occurredMs)) return null;
  const event = ChangeEventSchema.safeParse({
    v: 1,
    type: "change",
    system: "bitrix24",
    entity: known.entity,
    sourceId: record.EVENT_DATA.FIELDS.ID,
    action: known.action,
    sourceVersion: `offline:${record.EVENT_NAME.toUpperCase()}@${record.ID}@${occurredMs / 1000}`,
    occurredAt: new Date(occurredMs).toISOString(),
    receivedAt: receivedAt.toISOString(),
    via: "offline",
  });
  return event.success ? event.data : null;
}

/**
 * What is logged of a queue record Concord does not understand: its MESSAGE_ID and the shape
 * problem, never the record (it carries the portal's auth data, e.g. the application token).
 */
export function rejectedRecordLog(raw: unknown): { messageId: string; problem: string } {
  const parsed = OfflineRecordSchema.safeParse(raw);
  const messageId = String((raw as { MESSAGE_ID?: unknown } | null)?.MESSAGE_ID ?? "").slice(0, 64);
  const problem = parsed.success ? "not a change Concord handles" : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.code}`).join("; ").slice(0, 500);
  return { messageId, problem };
}

/**
 * Offline events, the loss-free alternative to online webhooks: reserve a page of the queue
 * (`event.offline.get clear=0`), publish each record as a change event, and clear the page only
 * after every publish was acknowledged. A record that is not a change Concord understands is
 * reported with `event.offline.error` (kept by Bitrix24, visible in `event.offline.list`).
 * One replica reads at a time (a lease); the reservation id is stored first, so a reader that
 * dies mid-page leaves it to the next one instead of to Bitrix24's 30-day expiry.
 */
export function createOfflineEventReader(deps: OfflineEventsDeps) {
  const { bus, subjects, client, state, logger } = deps;

  async function reserve(processId: string | null) {
    const raw = await client.result<unknown>("event.offline.get", processId ? { process_id: processId, clear: 0, limit: LIMIT } : { clear: 0, limit: LIMIT });
    return OfflineBatchSchema.parse(Array.isArray(raw) ? { process_id: null, events: [] } : raw);
  }

  /** Publishes each record as a change event; answers the MESSAGE_IDs published and those not understood. */
  async function publishRecords(records: unknown[]): Promise<{ done: string[]; bad: string[] }> {
    const done: string[] = [];
    const bad: string[] = [];
    const receivedAt = new Date();
    for (const raw of records) {
      const record = OfflineRecordSchema.safeParse(raw);
      const event = record.success ? toChangeEvent(record.data, receivedAt) : null;
      const messageId = record.success ? record.data.MESSAGE_ID : String((raw as { MESSAGE_ID?: unknown } | null)?.MESSAGE_ID ?? "");
      if (!event) {
        if (messageId) bad.push(messageId);
        logger.warn("offline event not understood; marked as error in Bitrix24", rejectedRecordLog(raw));
        continue;
      }
      await publishChange(bus.js, subjects, event);
      done.push(messageId);
    }
    return { done, bad };
  }

  return async function readOfflineEvents(): Promise<{ published: number; rejected: number } | null> {
    if (!(await state.tryLease(LEASE, deps.owner, deps.intervalMs * 3 + 30_000))) return null;
    let published = 0;
    let rejected = 0;
    // A reservation left by a reader that stopped mid-page comes first.
    let processId = (await state.getJson<{ processId: string | null }>(PENDING))?.value.processId ?? null;
    for (;;) {
      const resumed = processId !== null;
      const batch = await reserve(processId);
      processId = batch.process_id;
      if (batch.events.length === 0 || processId === null) {
        if (resumed) await state.putJson(PENDING, { processId: null });
        if (resumed) continue;
        break;
      }
      await state.putJson(PENDING, { processId });
      const { done, bad } = await publishRecords(batch.events);
      if (bad.length > 0) await client.result("event.offline.error", { process_id: processId, message_id: bad });
      if (done.length > 0) await client.result("event.offline.clear", { process_id: processId, message_id: done });
      await state.putJson(PENDING, { processId: null });
      processId = null;
      published += done.length;
      rejected += bad.length;
      if (!resumed && batch.events.length < LIMIT) break;
    }
    if (published + rejected > 0) logger.info("bitrix24 offline events", { published, rejected });
    return { published, rejected };
  };
}
