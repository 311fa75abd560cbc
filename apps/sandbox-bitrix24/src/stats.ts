// Counters behind GET /admin/stats: what the integration under test actually did to the portal.

import type { EntityName } from "./entities";

export interface MethodStats {
  calls: number;
  ok: number;
  errors: number;
}

export interface WriteStats {
  adds: number;
  updates: number;
  deletes: number;
  productRowsSet: number;
}

export type WriteKind = keyof WriteStats;

export interface StatsSnapshot {
  since: string;
  requests: number;
  methods: Record<string, MethodStats>;
  writes: Record<EntityName, WriteStats>;
  timelineComments: number;
  rateLimitRejections: number;
  authFailures: number;
  injectedFaults: {
    error: number;
    timeout: number;
    rateLimit: number;
    operationLimit: number;
    eventDropped: number;
    eventDuplicated: number;
    eventReordered: number;
  };
  events: { queued: number; delivered: number; failed: number; dropped: number };
}

const emptyWrites = (): WriteStats => ({ adds: 0, updates: 0, deletes: 0, productRowsSet: 0 });

export class Stats {
  private data!: StatsSnapshot;

  constructor() {
    this.reset();
  }

  reset(): void {
    this.data = {
      since: new Date().toISOString(),
      requests: 0,
      methods: {},
      writes: { deal: emptyWrites(), company: emptyWrites(), contact: emptyWrites(), product: emptyWrites(), requisite: emptyWrites() },
      timelineComments: 0,
      rateLimitRejections: 0,
      authFailures: 0,
      injectedFaults: {
        error: 0,
        timeout: 0,
        rateLimit: 0,
        operationLimit: 0,
        eventDropped: 0,
        eventDuplicated: 0,
        eventReordered: 0,
      },
      events: { queued: 0, delivered: 0, failed: 0, dropped: 0 },
    };
  }

  snapshot(): StatsSnapshot {
    return structuredClone(this.data);
  }

  request(): void {
    this.data.requests++;
  }

  methodResult(method: string, ok: boolean): void {
    const m = (this.data.methods[method] ??= { calls: 0, ok: 0, errors: 0 });
    m.calls++;
    if (ok) m.ok++;
    else m.errors++;
  }

  write(entity: EntityName, kind: WriteKind): void {
    this.data.writes[entity][kind]++;
  }

  comment(): void {
    this.data.timelineComments++;
  }

  rateLimited(): void {
    this.data.rateLimitRejections++;
  }

  authFailed(): void {
    this.data.authFailures++;
  }

  fault(kind: keyof StatsSnapshot["injectedFaults"], count = 1): void {
    this.data.injectedFaults[kind] += count;
  }

  event(kind: keyof StatsSnapshot["events"]): void {
    this.data.events[kind]++;
  }
}
