import type { Subscription } from "@nats-io/nats-core";
import type { Bus, RunningConsumer } from "@concord/bus";
import { startHealthServer } from "./health";
import type { Service } from "./run-service";

export interface WorkerParts {
  bus: Bus;
  consumers: RunningConsumer[];
  /** Request/reply subscriptions the worker serves. */
  subscriptions?: Subscription[];
  host: string;
  healthPort: number;
  /** Scheduled tasks (sweeps): stopped first, so they publish nothing during the drain. */
  tasks?: Array<{ stop(): Promise<void> }>;
  /** Extra `/readyz` detail, e.g. `{ circuits: [...] }`. */
  detail?: () => Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Closes what the worker owns besides the bus (e.g. the database pool). */
  close?: () => Promise<void>;
}

/**
 * The lifecycle every bus worker shares: ready while the bus is connected and every consumer
 * runs; stop in reverse of start — no new requests, consumers finish or nak in-flight messages,
 * the bus drains, then the worker's own resources and the health endpoint close.
 */
export async function startWorker(parts: WorkerParts): Promise<Service & { ready(): boolean }> {
  const ready = () => !parts.bus.nc.isClosed() && parts.consumers.every((c) => c.ready());
  const health = await startHealthServer(parts.host, parts.healthPort, ready, parts.detail);
  return {
    ready,
    async stop() {
      await Promise.all((parts.tasks ?? []).map((t) => t.stop()));
      for (const sub of parts.subscriptions ?? []) sub.unsubscribe();
      await Promise.all(parts.consumers.map((c) => c.stop()));
      await parts.bus.nc.drain();
      await parts.close?.();
      await new Promise((resolve) => health.close(resolve));
    },
  };
}
