import { setTimeout as sleep } from "node:timers/promises";
import type { JetStreamManager } from "@nats-io/jetstream";
import type postgres from "postgres";
import type { Subjects } from "@concord/contracts";
import type { Clients } from "./clients";

export interface DrainResult {
  drained: boolean;
  /** From the end of the faults to the last sign of work (the exchange log's last growth, a busy consumer or queue). */
  drainMs: number;
  /** What was still busy when the limit ran out. */
  busy: string[];
}

/** Work still in flight anywhere: consumers with pending or unacknowledged messages, queued events and notifications. */
async function busyParts(jsm: JetStreamManager, subjects: Subjects, clients: Clients): Promise<string[]> {
  const busy: string[] = [];
  for (const stream of Object.values(subjects.streams)) {
    for await (const consumer of jsm.consumers.list(stream)) {
      const waiting = consumer.num_pending + consumer.num_ack_pending;
      if (waiting > 0) busy.push(`${stream}/${consumer.name}: ${consumer.num_pending} pending, ${consumer.num_ack_pending} unacknowledged`);
    }
  }
  const events = await fetchDrained(clients);
  if (!events) busy.push("Bitrix24 sandbox: events queued");
  const notifications = await clients.onecAdmin<{ pending: unknown[] }>("notifications");
  if (notifications.pending.length > 0) busy.push(`1C sandbox: ${notifications.pending.length} notifications queued`);
  return busy;
}

async function fetchDrained(clients: Clients): Promise<boolean> {
  try {
    await clients.b24Admin("events/drain?timeoutMs=100", { method: "POST" });
    return true;
  } catch {
    return false;
  }
}

/**
 * Waits until the system is quiet: nothing in flight and the exchange log unchanged for
 * `quietMs` (longer than the sweeps' interval, so a sweep that still finds work shows up).
 */
export async function waitDrained(deps: { sql: postgres.Sql; jsm: JetStreamManager; subjects: Subjects; clients: Clients }, options: { quietMs: number; timeoutMs: number; since: number }): Promise<DrainResult> {
  const deadline = Date.now() + options.timeoutMs;
  let lastCount = -1;
  let lastActivity = Date.now();
  let busy: string[] = [];
  while (Date.now() < deadline) {
    const [row] = await deps.sql<Array<{ n: number }>>`select count(*)::int as n from exchange_log`;
    busy = await busyParts(deps.jsm, deps.subjects, deps.clients).catch((error: unknown) => [`unreadable: ${(error as Error).message}`]);
    if (row?.n !== lastCount || busy.length > 0) {
      lastCount = row?.n ?? 0;
      lastActivity = Date.now();
    } else if (Date.now() - lastActivity >= options.quietMs) {
      return { drained: true, drainMs: Math.max(0, lastActivity - options.since), busy: [] };
    }
    await sleep(1_000);
  }
  return { drained: false, drainMs: Date.now() - options.since, busy };
}
