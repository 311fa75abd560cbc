import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * Every Prometheus metric Concord exposes, on one registry per process (`/metrics` of each
 * service's health server, ingress and console included). Names start with `concord_`; labels
 * are bounded — stages, results, error codes, targets, methods and sets, streams and durables —
 * never a record id, a message id or a trace id.
 */
export const metricsRegistry = new Registry();

/** Latency buckets (seconds) shared by every hop: a 5 ms read up to a minute-long 1C post. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

let defaultsOn = false;

/** Names the process (`service` label on every series) and adds Node's process metrics once. */
export function initMetrics(service: string): void {
  metricsRegistry.setDefaultLabels({ service });
  if (defaultsOn) return;
  defaultsOn = true;
  collectDefaultMetrics({ register: metricsRegistry, prefix: "concord_" });
}

/** The text exposition of every metric, and its content type. */
export async function renderMetrics(): Promise<{ contentType: string; body: string }> {
  return { contentType: metricsRegistry.contentType, body: await metricsRegistry.metrics() };
}

const registers = [metricsRegistry];

export const metrics = {
  /** Webhooks and notifications at ingress, by source and what became of them. */
  eventsIn: new Counter({
    name: "concord_events_in_total",
    help: "Events received at ingress, by source system and result (accepted, duplicate, rejected, rate_limited, unavailable)",
    labelNames: ["source", "result"] as const,
    registers,
  }),
  /** Messages a consumer pulled and handled (each delivery counts). */
  messagesReceived: new Counter({
    name: "concord_messages_received_total",
    help: "Messages delivered to a consumer, by stage",
    labelNames: ["stage"] as const,
    registers,
  }),
  /** What a stage did with a record: the results of the exchange log. */
  outcomes: new Counter({
    name: "concord_outcomes_total",
    help: "Outcomes reported, by stage, result (accepted, commanded, created, applied, echo, stale, skipped, retrying, dead-lettered, compensated, dry-run, held) and record kind",
    labelNames: ["stage", "result", "system", "entity"] as const,
    registers,
  }),
  retries: new Counter({
    name: "concord_retries_total",
    help: "Deliveries given back for a later retry, by stage and scope (record: counted against the retry budget; target: a target-wide fault)",
    labelNames: ["stage", "scope", "code"] as const,
    registers,
  }),
  deadLetters: new Counter({
    name: "concord_dead_letters_total",
    help: "Messages dead-lettered, by stage and error code",
    labelNames: ["stage", "code"] as const,
    registers,
  }),
  held: new Counter({
    name: "concord_held_total",
    help: "Deliveries that found their record waiting for a person's decision, by stage",
    labelNames: ["stage"] as const,
    registers,
  }),
  /** Time a consumer spent on one delivery, from pull to ack/nak, by what became of it. */
  handlingSeconds: new Histogram({
    name: "concord_message_handling_seconds",
    help: "Time a consumer spent on one delivery, by stage and result (ack, retry, dead-letter, held)",
    labelNames: ["stage", "result"] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  }),
  /** HTTP requests to a target (a Bitrix24 method or `batch`, a 1C verb and set), by status. */
  targetRequests: new Counter({
    name: "concord_target_requests_total",
    help: "HTTP requests to a target, by target, method (Bitrix24 method, or 1C verb and set) and status (HTTP code, timeout, network)",
    labelNames: ["target", "method", "status"] as const,
    registers,
  }),
  targetSeconds: new Histogram({
    name: "concord_target_request_seconds",
    help: "Duration of HTTP requests to a target, by target and method",
    labelNames: ["target", "method"] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  }),
  /** Tokens of the shared rate limiter that were not there at once. */
  rateLimitWaits: new Counter({
    name: "concord_rate_limit_waits_total",
    help: "Requests that waited for a token of the shared rate limiter, by limiter key (ratelimit.<target>.<host>)",
    labelNames: ["limiter"] as const,
    registers,
  }),
  rateLimitWaitSeconds: new Histogram({
    name: "concord_rate_limit_wait_seconds",
    help: "Time a request waited for a token of the shared rate limiter, by limiter key",
    labelNames: ["limiter"] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  }),
  circuitOpened: new Counter({
    name: "concord_circuit_opened_total",
    help: "Times a target's circuit was opened by this process, by target and circuit key",
    labelNames: ["target", "circuit"] as const,
    registers,
  }),
  exchangeLogDeleted: new Counter({
    name: "concord_exchange_log_deleted_total",
    help: "Exchange-log rows deleted by retention",
    registers,
  }),
};

/** A gauge whose values are read at scrape time from the sources registered with it. */
export interface SourcedGauge<L extends string> {
  /** Adds a source of samples; returns its removal. A source that fails is left out of that scrape. */
  add(source: () => Promise<Array<{ labels: Record<L, string>; value: number }>>): () => void;
}

function sourcedGauge<L extends string>(name: string, help: string, labelNames: readonly L[]): SourcedGauge<L> {
  const sources = new Set<() => Promise<Array<{ labels: Record<L, string>; value: number }>>>();
  new Gauge<L>({
    name,
    help,
    labelNames,
    registers,
    async collect() {
      this.reset();
      const all = await Promise.all([...sources].map((s) => s().catch(() => [])));
      for (const sample of all.flat()) this.set(sample.labels, sample.value);
    },
  });
  return {
    add(source) {
      sources.add(source);
      return () => void sources.delete(source);
    },
  };
}

/** Values read when scraped: backlog from JetStream, circuits from the shared state, open decisions from PostgreSQL. */
export const gauges = {
  consumerPending: sourcedGauge("concord_consumer_pending_messages", "Messages in the stream not yet delivered to the consumer (JetStream num_pending)", ["stream", "consumer"] as const),
  consumerAckPending: sourcedGauge("concord_consumer_ack_pending_messages", "Messages delivered and not yet acknowledged: in handling or waiting for a redelivery (JetStream num_ack_pending)", ["stream", "consumer"] as const),
  consumerOldestAge: sourcedGauge("concord_consumer_oldest_waiting_seconds", "Age of the oldest message the consumer has not acknowledged (0 when none waits)", ["stream", "consumer"] as const),
  circuitOpen: sourcedGauge("concord_circuit_open", "1 while the target's circuit is open (calls paused but a probe), else 0", ["target", "circuit"] as const),
  decisionsOpen: sourcedGauge("concord_decisions_open", "Records waiting for a person's decision (open decisions), by source record kind", ["system", "entity"] as const),
  decisionOldestAge: sourcedGauge("concord_decision_oldest_open_seconds", "Age of the oldest open decision (0 when none is open)", [] as const),
};

/**
 * Caches an async read for `ttlMs` and shares one read between concurrent callers: three
 * gauges of one scrape (or scrapes of several Prometheus servers) cost one round to NATS.
 */
export function cachedRead<T>(ttlMs: number, read: () => Promise<T>, now: () => number = Date.now): () => Promise<T> {
  let value: { at: number; result: Promise<T> } | undefined;
  return () => {
    if (value && now() - value.at < ttlMs) return value.result;
    const result = read();
    value = { at: now(), result };
    // A failed read is not kept: the next scrape tries again.
    result.catch(() => {
      if (value?.result === result) value = undefined;
    });
    return result;
  };
}
