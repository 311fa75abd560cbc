// Outbound events, delivered the way Bitrix24 delivers online events: from a queue, after the
// REST call has answered, form-encoded, carrying only the record ID, and AT MOST ONCE — a handler
// that is down, answers non-2xx or takes longer than the timeout simply loses the event.

import { ENTITIES, type EntityName } from "./entities";
import type { Faults } from "./faults";
import { shuffleInPlace } from "./prng";
import type { Stats } from "./stats";
import type { ChangeEvent } from "./store";

export const EVENT_NAMES: readonly string[] = (Object.keys(ENTITIES) as EntityName[]).flatMap((e) => {
  const prefix = ENTITIES[e].eventPrefix;
  return prefix === null ? [] : ["ADD", "UPDATE", "DELETE"].map((a) => `${prefix}${a}`);
});

/** ONCRMDEALUPDATE for a deal update; null for entities that fire no events. */
export function eventNameOf(change: ChangeEvent): string | null {
  const prefix = ENTITIES[change.entity].eventPrefix;
  return prefix === null ? null : `${prefix}${change.action}`;
}

export interface EventBinding {
  event: string;
  handlerId: number;
  url: string;
  /** event.bind's auth_type (0 = the user who made the change). */
  authType: number;
}

export interface DeliveryLogEntry {
  seq: number;
  event: string;
  entityId: number;
  handlerId: number;
  url: string;
  /** The payload's `ts` (unix seconds when the change happened). */
  ts: number;
  /** When the attempt finished (ISO). */
  at: string;
  /** delivered | failed:<status|error> | dropped-by-fault */
  result: string;
  durationMs: number | null;
  /** true for the second copy sent by the duplicate fault. */
  duplicate: boolean;
}

export interface EventDispatcherOptions {
  domain: string;
  clientEndpoint: string;
  serverEndpoint: string;
  memberId: string;
  applicationToken: string;
  timeoutMs: number;
  faults: Faults;
  stats: Stats;
  now?: () => number;
}

interface Job {
  event: string;
  entityId: number;
  handlerId: number;
  url: string;
  ts: number;
  body: string;
}

const LOG_LIMIT = 10_000;

export class EventDispatcher {
  private bindings: EventBinding[] = [];
  private nextHandlerId = 1;
  private queue: Job[] = [];
  private reorderBuffer: Job[] = [];
  private reorderTimer: NodeJS.Timeout | null = null;
  private timers = new Set<NodeJS.Timeout>();
  private inflight = new Set<AbortController>();
  private pending = 0;
  /** Jobs waiting out the delay fault (not yet in the queue or the reorder buffer). */
  private delayed = 0;
  private pumping = false;
  private waiters: Array<() => void> = [];
  private log: DeliveryLogEntry[] = [];
  private seq = 1;
  private stopped = false;
  private readonly now: () => number;

  private clientEndpoint: string;

  constructor(private readonly options: EventDispatcherOptions) {
    this.now = options.now ?? Date.now;
    this.clientEndpoint = options.clientEndpoint;
  }

  /** The portal's REST base (`http://host:port/rest/`), known once the server listens. */
  setClientEndpoint(url: string): void {
    this.clientEndpoint = url;
  }

  /**
   * Binds `url` to every CRM event (new handler ids, like re-creating the outgoing webhook); null
   * unbinds. Either way every online binding (event.bind ones included) is dropped first; offline
   * bindings live in OfflineEvents and are not touched.
   */
  bindAll(url: string | null): void {
    this.bindings = [];
    if (url === null || url === "") return;
    for (const event of EVENT_NAMES) this.bindings.push({ event, handlerId: this.nextHandlerId++, url, authType: 0 });
  }

  /** event.bind (online); false when the same event + handler + auth_type is already bound. */
  bind(event: string, url: string, authType: number): boolean {
    if (this.bindings.some((b) => b.event === event && b.url === url && b.authType === authType)) return false;
    this.bindings.push({ event, handlerId: this.nextHandlerId++, url, authType });
    return true;
  }

  /** event.unbind (online): removes the event's bindings to `url` (only those with `authType` when given). */
  unbind(event: string, url: string, authType: number | null): number {
    const before = this.bindings.length;
    this.bindings = this.bindings.filter(
      (b) => !(b.event === event && b.url === url && (authType === null || b.authType === authType)),
    );
    return before - this.bindings.length;
  }

  handlers(): EventBinding[] {
    return this.bindings.map((b) => ({ ...b }));
  }

  deliveries(): DeliveryLogEntry[] {
    return [...this.log];
  }

  clearLog(): void {
    this.log = [];
  }

  /** Called for every store change; never throws, never waits. */
  emit(change: ChangeEvent): void {
    if (this.stopped) return;
    const event = eventNameOf(change);
    if (event === null) return;
    const ts = Math.floor(this.now() / 1000);
    for (const binding of this.bindings.filter((b) => b.event === event)) this.enqueue(event, binding, change, ts);
  }

  private enqueue(event: string, binding: EventBinding, change: ChangeEvent, ts: number): void {
    const form = new URLSearchParams();
    form.set("event", event);
    form.set("event_handler_id", String(binding.handlerId));
    form.set("data[FIELDS][ID]", String(change.id));
    form.set("ts", String(ts));
    form.set("auth[domain]", this.options.domain);
    form.set("auth[client_endpoint]", this.clientEndpoint);
    form.set("auth[server_endpoint]", this.options.serverEndpoint);
    form.set("auth[member_id]", this.options.memberId);
    form.set("auth[application_token]", this.options.applicationToken);
    const job: Job = { event, entityId: change.id, handlerId: binding.handlerId, url: binding.url, ts, body: form.toString() };
    this.pending++;
    this.options.stats.event("queued");
    // Always asynchronous: the REST response goes out before any delivery starts.
    this.delayed++;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.delayed--;
      if (!this.stopped) this.admit(job);
    }, this.options.faults.events().delayMs ?? 0);
    this.timers.add(timer);
  }

  private admit(job: Job): void {
    const faults = this.options.faults.events();
    if ((faults.dropRate ?? 0) > 0 && this.options.faults.eventRoll() < (faults.dropRate ?? 0)) {
      this.options.stats.fault("eventDropped");
      this.options.stats.event("dropped");
      this.record(job, "dropped-by-fault", null, false);
      this.done();
      return;
    }
    if (faults.reorder) {
      this.reorderBuffer.push(job);
      if (!this.reorderTimer) {
        this.reorderTimer = setTimeout(() => {
          this.reorderTimer = null;
          if (this.stopped) return;
          const batch = this.reorderBuffer.splice(0);
          shuffleInPlace(batch, () => this.options.faults.eventRoll());
          if (batch.length > 1) this.options.stats.fault("eventReordered", batch.length);
          this.queue.push(...batch);
          this.pump();
        }, faults.reorderWindowMs ?? 1000);
      }
      return;
    }
    this.queue.push(job);
    this.pump();
  }

  private pump(): void {
    if (this.pumping || this.stopped) return;
    this.pumping = true;
    void (async () => {
      try {
        while (!this.stopped && this.queue.length > 0) {
          const job = this.queue.shift() as Job;
          const dupRate = this.options.faults.events().duplicateRate ?? 0;
          if (dupRate > 0 && this.options.faults.eventRoll() < dupRate) {
            this.options.stats.fault("eventDuplicated");
            await Promise.all([this.send(job, false), this.send(job, true)]);
          } else {
            await this.send(job, false);
          }
          this.done();
        }
      } finally {
        this.pumping = false;
      }
    })();
  }

  private async send(job: Job, duplicate: boolean): Promise<void> {
    const controller = new AbortController();
    this.inflight.add(controller);
    const timer = setTimeout(() => controller.abort(new Error("timeout")), this.options.timeoutMs);
    const started = this.now();
    let result: string;
    try {
      const res = await fetch(job.url, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "user-agent": "Bitrix24 Webhook Engine" },
        body: job.body,
        signal: controller.signal,
      });
      await res.arrayBuffer();
      result = res.ok ? "delivered" : `failed:${res.status}`;
    } catch (err) {
      result = `failed:${describeError(err, controller.signal)}`;
    } finally {
      clearTimeout(timer);
      this.inflight.delete(controller);
    }
    this.options.stats.event(result === "delivered" ? "delivered" : "failed");
    this.record(job, result, this.now() - started, duplicate);
  }

  private record(job: Job, result: string, durationMs: number | null, duplicate: boolean): void {
    this.log.push({
      seq: this.seq++,
      event: job.event,
      entityId: job.entityId,
      handlerId: job.handlerId,
      url: job.url,
      ts: job.ts,
      at: new Date(this.now()).toISOString(),
      result,
      durationMs,
      duplicate,
    });
    if (this.log.length > LOG_LIMIT) this.log.splice(0, this.log.length - LOG_LIMIT);
  }

  private done(): void {
    this.pending--;
    if (this.pending <= 0) {
      this.pending = 0;
      const waiters = this.waiters.splice(0);
      waiters.forEach((w) => w());
    }
  }

  /** Resolves once every emitted event has been delivered, failed or dropped. */
  idle(): Promise<void> {
    if (this.pending === 0 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Forgets queued work (events still queued are lost, as on a real outage). */
  clearQueue(): void {
    this.timers.forEach(clearTimeout);
    this.timers.clear();
    if (this.reorderTimer) clearTimeout(this.reorderTimer);
    this.reorderTimer = null;
    const forgotten = this.delayed + this.queue.length + this.reorderBuffer.length;
    this.delayed = 0;
    this.queue = [];
    this.reorderBuffer = [];
    this.pending = Math.max(0, this.pending - forgotten);
    if (this.pending === 0) this.waiters.splice(0).forEach((w) => w());
  }

  stop(): void {
    this.stopped = true;
    this.clearQueue();
    this.inflight.forEach((c) => c.abort(new Error("stopped")));
    this.waiters.splice(0).forEach((w) => w());
  }
}

function describeError(err: unknown, signal: AbortSignal): string {
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    return reason instanceof Error && reason.message === "stopped" ? "stopped" : "timeout";
  }
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: { code?: string } }).cause;
    return cause?.code ?? err.message;
  }
  return String(err);
}
