import { nanos } from "@nats-io/nats-core";
import { AckPolicy, DeliverPolicy, type JsMsg } from "@nats-io/jetstream";
import type { z } from "zod";
import { Headers, isHeld, isSyncError, permanent, type HeldForDecision, type Outcome, type RecordRef, type Subjects } from "@concord/contracts";
import { cachedRead, collectCalls, contextFromHeaders, gauges, metrics, withSpan, SpanKind, type Logger } from "@concord/telemetry";
import type { Bus } from "./connection";
import { decide, errorEntry, type RetryPolicy } from "./retry-policy";
import { admitCall, closedCircuit, type Circuit } from "./circuit";
import { isJetStreamNotFound } from "./nats-errors";
import type { StateStore } from "./state-store";
import { publishDeadLetter, toDeadLetter } from "./dead-letter";
import { reportOutcome } from "./outcomes";

export interface MessageContext {
  msgId: string | null;
  subject: string;
  streamSeq: number;
  deliveryCount: number;
  /**
   * When JetStream stored the message, by the server's clock — one clock for every replica, so
   * it can order observations of a source that gives no usable version of its own.
   */
  storedAt: string;
  /** Extends AckWait during slow target calls. */
  working(): void;
}


export interface ConsumerSpec<S extends z.ZodType> {
  stage: string;
  stream: string;
  durable: string;
  filterSubject: string;
  schema: S;
  ackWaitMs: number;
  policy: RetryPolicy;
  concurrency: number;
  handle(message: z.infer<S>, context: MessageContext): Promise<void>;
  /**
   * The target this consumer's work calls: while its circuit is open nothing is pulled (the
   * messages wait in the stream) but, when due, one message for the probe.
   */
  circuit?: Circuit;
  /**
   * Where each message's record-specific failures and the time of the first are kept, shared by
   * replicas and surviving restarts. Without it the budget runs from the message's stream
   * timestamp (the server's clock) and deliveries count.
   */
  retryState?: StateStore;
  /** When set, every failure is reported as a `retrying` or `dead-lettered` outcome. */
  outcomes?: { stage: Outcome["stage"]; describe(message: z.infer<S>): { messageId: string; subject: RecordRef; target: RecordRef | null } };
}

export interface RunningConsumer {
  ready(): boolean;
  stop(deadlineMs?: number): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What became of one delivery (the `result` label of concord_message_handling_seconds). */
type HandlingResult = "ack" | "retry" | "dead-letter" | "held";

/** How long one pull waits for messages; also the longest a stop waits for the open pull. */
const FETCH_EXPIRES_MS = 3_000;

/** How long a backlog reading (consumer info + the oldest waiting message) serves scrapes. */
export const BACKLOG_CACHE_MS = 5_000;

export interface Backlog {
  /** In the stream, not yet delivered (num_pending). */
  pending: number;
  /** Delivered, not yet acknowledged: in handling or waiting for a redelivery (num_ack_pending). */
  ackPending: number;
  /** Age of the oldest message not acknowledged, 0 when none waits. */
  oldestAgeMs: number;
}

/**
 * The consumer's backlog from JetStream: its info, and — when something waits — the first
 * message after the ack floor that the consumer's filter matches (its stored time is the age
 * of the oldest waiting message). Without that message (aged out, or a server that cannot
 * look it up) the age is the time since the ack floor last moved, an upper bound of sorts.
 */
export async function readBacklog(bus: Bus, stream: string, durable: string, filterSubject: string, now = Date.now()): Promise<Backlog> {
  const info = await bus.jsm.consumers.info(stream, durable);
  const pending = info.num_pending;
  const ackPending = info.num_ack_pending;
  if (pending + ackPending === 0) return { pending, ackPending, oldestAgeMs: 0 };
  const floor = info.ack_floor;
  // STREAM.MSG.GET takes `next_by_subj` with `seq` (server 2.9+), though the client's type lists only one of them.
  const query = { seq: floor.stream_seq + 1, next_by_subj: filterSubject } as unknown as Parameters<Bus["jsm"]["streams"]["getMessage"]>[1];
  const first = await bus.jsm.streams.getMessage(stream, query).catch(() => null);
  const oldest = first ? first.time.getTime() : floor.last_active ? Math.floor(Number(floor.last_active) / 1e6) : now;
  return { pending, ackPending, oldestAgeMs: Math.max(0, now - oldest) };
}

/** Registers a consumer's backlog with the gauges (read at scrape time, cached); returns the removal. */
function registerBacklog(bus: Bus, spec: ConsumerSpec<z.ZodType>): () => void {
  const read = cachedRead(BACKLOG_CACHE_MS, () => readBacklog(bus, spec.stream, spec.durable, spec.filterSubject));
  const labels = { stream: spec.stream, consumer: spec.durable };
  const removals = [
    gauges.consumerPending.add(async () => [{ labels, value: (await read()).pending }]),
    gauges.consumerAckPending.add(async () => [{ labels, value: (await read()).ackPending }]),
    gauges.consumerOldestAge.add(async () => [{ labels, value: (await read()).oldestAgeMs / 1000 }]),
  ];
  return () => removals.forEach((remove) => remove());
}

/** Creates the durable consumer, or brings its settings in line with the code. */
async function ensureConsumer(bus: Bus, spec: ConsumerSpec<z.ZodType>): Promise<void> {
  const config = {
    durable_name: spec.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(spec.ackWaitMs),
    // Unlimited: the retry policy counts record failures itself; a target's outage must not
    // exhaust deliveries while its circuit holds the messages back.
    max_deliver: -1,
    filter_subject: spec.filterSubject,
    max_ack_pending: 1000,
  };
  try {
    await bus.jsm.consumers.info(spec.stream, spec.durable);
    await bus.jsm.consumers.update(spec.stream, spec.durable, {
      ack_wait: config.ack_wait,
      max_deliver: config.max_deliver,
      max_ack_pending: config.max_ack_pending,
    });
  } catch (error) {
    if (!isJetStreamNotFound(error)) throw error;
    await bus.jsm.consumers.add(spec.stream, config);
  }
}

/**
 * The one consumer loop: pull, parse with the contract, run the handler, then ack — only after
 * the handler's effect is durable. Failures go through `decide`: nak with backoff, or a DLQ
 * record published before the ack. A message that does not parse is permanent at once.
 */
export async function startConsumer<S extends z.ZodType>(
  bus: Bus,
  subjects: Subjects,
  spec: ConsumerSpec<S>,
  logger: Logger,
): Promise<RunningConsumer> {
  await ensureConsumer(bus, spec as ConsumerSpec<z.ZodType>);
  const unregisterBacklog = registerBacklog(bus, spec as ConsumerSpec<z.ZodType>);
  let stopping = false;
  let connected = false;
  const inflight = new Set<Promise<void>>();
  /** No pull before this time: a target-scope failure pauses this consumer (the resolver too). */
  let pausedUntil = 0;
  const retryKey = (seq: number) => `retry.${spec.stream}.${spec.durable}.${seq}`;

  /** Counts a record-specific failure: in the shared store when there is one, else from the message itself. */
  const countRecordFailure = async (msg: JsMsg): Promise<{ failures: number; firstFailureAtMs: number; nowMs: number }> => {
    const nowMs = Date.now();
    if (spec.retryState) {
      try {
        const key = retryKey(msg.info.streamSequence);
        const seen = await spec.retryState.getJson<{ first: number; failures: number }>(key);
        const next = { first: seen?.value.first ?? nowMs, failures: (seen?.value.failures ?? 0) + 1 };
        await spec.retryState.putJson(key, next);
        return { failures: next.failures, firstFailureAtMs: next.first, nowMs };
      } catch (error) {
        logger.warn("retry state unavailable; counting deliveries", { stage: spec.stage, error });
      }
    }
    return { failures: msg.info.deliveryCount, firstFailureAtMs: Math.floor(Number(msg.info.timestampNanos) / 1e6), nowMs };
  };
  const forgetFailures = async (msg: JsMsg) => {
    if (spec.retryState && msg.info.deliveryCount > 1) await spec.retryState.remove(retryKey(msg.info.streamSequence)).catch(() => undefined);
  };

  /** One delivery, in a scope of its own that collects its target calls for the outcome it reports. */
  const handleOne = (msg: JsMsg): Promise<void> => {
    metrics.messagesReceived.inc({ stage: spec.stage });
    const endTimer = metrics.handlingSeconds.startTimer({ stage: spec.stage });
    return collectCalls(() => handleDelivery(msg)).then(
      (result) => void endTimer({ result }),
      (error: unknown) => {
        endTimer({ result: "crashed" });
        throw error;
      },
    );
  };

  const handleDelivery = async (msg: JsMsg): Promise<HandlingResult> => {
    const context: MessageContext = {
      msgId: msg.headers?.get(Headers.msgId) || null,
      subject: msg.subject,
      streamSeq: msg.info.streamSequence,
      deliveryCount: msg.info.deliveryCount,
      storedAt: new Date(Math.floor(Number(msg.info.timestampNanos) / 1e6)).toISOString(),
      working: () => msg.working(),
    };
    const parent = contextFromHeaders((name) => msg.headers?.get(name) || undefined);
    const attributes = {
      "messaging.destination": msg.subject,
      "messaging.message.id": context.msgId ?? "",
      "concord.delivery": context.deliveryCount,
    };
    return withSpan(`${spec.stage} ${msg.subject}`, { kind: SpanKind.CONSUMER, parent, attributes }, async (): Promise<HandlingResult> => {
      let message: z.infer<S> | undefined;
      try {
        const parsed = spec.schema.safeParse(JSON.parse(new TextDecoder().decode(msg.data)));
        if (!parsed.success) throw permanent("BAD_MESSAGE", `message does not match the contract: ${parsed.error.message}`);
        message = parsed.data;
        await spec.handle(message, context);
        await spec.circuit?.recordSuccess();
        await forgetFailures(msg);
        await msg.ackAck().catch((error: unknown) => logger.warn("ack not confirmed; redelivery is idempotent", { error }));
        return "ack";
      } catch (error) {
        return fail(msg, message, context, error);
      }
    });
  };

  const fail = async (msg: JsMsg, message: z.infer<S> | undefined, context: MessageContext, error: unknown): Promise<HandlingResult> => {
    if (isHeld(error)) {
      await hold(msg, message, context, error);
      return "held";
    }
    const entry = errorEntry(error);
    const record = message !== undefined && spec.outcomes ? spec.outcomes.describe(message).subject : null;
    // Also a record's failure whose cause is the target's (the circuit looks through causes).
    await spec.circuit?.recordFailure(error, record ? `${record.entity}:${record.id}` : (context.msgId ?? String(context.streamSeq)));
    const retries = entry.scope === "record" ? await countRecordFailure(msg) : { failures: 0, firstFailureAtMs: 0, nowMs: Date.now() };
    const decision = decide(error, retries, spec.policy, Math.random, context.deliveryCount);
    const log = { stage: spec.stage, msgId: context.msgId, seq: context.streamSeq, deliveries: context.deliveryCount, code: entry.code, scope: entry.scope, error };
    if (decision.action === "nak" && entry.scope === "target") pausedUntil = Math.max(pausedUntil, Date.now() + Math.min(decision.delayMs, spec.policy.pauseMaxMs ?? 10_000));
    if (decision.action === "dead-letter") {
      try {
        await publishDeadLetter(bus.js, subjects, toDeadLetter(spec.stage, msg, error, new Date(retries.firstFailureAtMs || Date.now())));
        msg.ack();
        await forgetFailures(msg);
        logger.error("dead-lettered", log);
      } catch (dlqError) {
        // The DLQ record is not durable, so the original must stay: retry later.
        msg.nak(5_000);
        logger.error("dead-letter publish failed; message kept", { ...log, dlqError });
        return "retry";
      }
      metrics.deadLetters.inc({ stage: spec.stage, code: entry.code });
    } else if (decision.action === "nak") {
      metrics.retries.inc({ stage: spec.stage, scope: entry.scope, code: entry.code });
      msg.nak(decision.delayMs);
      // Target-wide faults are the circuit's to report (one line per change); here they are noise.
      if (entry.scope === "target") logger.debug("paused by the target; will retry", { ...log, delayMs: decision.delayMs });
      else logger.warn("will retry", { ...log, delayMs: decision.delayMs, counted: decision.counted });
    }
    if (spec.outcomes && message !== undefined) {
      await reportOutcome(
        bus.js,
        subjects,
        {
          stage: spec.outcomes.stage,
          ...spec.outcomes.describe(message),
          result: decision.action === "dead-letter" ? "dead-lettered" : "retrying",
          detail: String((error as Error)?.message ?? error),
          error: isSyncError(error) ? { code: error.code, failureClass: error.failureClass } : { code: "UNCLASSIFIED", failureClass: "pipeline" },
          attempts: context.deliveryCount,
          durationMs: 0,
        },
        logger,
      );
    }
    return decision.action === "dead-letter" ? "dead-letter" : "retry";
  };

  /**
   * Waiting for a person's decision is no failure: the message stays in the stream and is looked
   * at again later, its retry budget starts afresh once it resumes, and it is never dead-lettered.
   * The `held` outcome is reported once per message (attempts 0 makes its outcome id constant).
   */
  const hold = async (msg: JsMsg, message: z.infer<S> | undefined, context: MessageContext, error: HeldForDecision) => {
    msg.nak(error.retryAfterMs);
    metrics.held.inc({ stage: spec.stage });
    await forgetFailures(msg);
    logger.info("held for a decision", { stage: spec.stage, msgId: context.msgId, decision: error.decisionId, reason: error.message });
    if (spec.outcomes && message !== undefined) {
      await reportOutcome(bus.js, subjects, { stage: spec.outcomes.stage, ...spec.outcomes.describe(message), result: "held", detail: error.message, attempts: 0, durationMs: 0 }, logger);
    }
  };

  /**
   * Pulls with fetch(), never consume(): a stop then only waits for the open pull to end
   * (FETCH_EXPIRES_MS) and naks what it brings, so no message is left in transit to an inbox
   * that is gone — which would hold it for a whole AckWait before another replica saw it.
   */
  const run = async () => {
    while (!stopping) {
      try {
        const consumer = await bus.js.consumers.get(spec.stream, spec.durable);
        connected = true;
        while (!stopping) {
          if (inflight.size >= spec.concurrency) {
            await Promise.race(inflight);
            continue;
          }
          // Paused by a target: pull nothing, the messages wait in the stream.
          const pauseMs = pausedUntil - Date.now();
          if (pauseMs > 0) {
            await sleep(Math.min(pauseMs, 1_000));
            continue;
          }
          let max = spec.concurrency - inflight.size;
          let probing = false;
          if (spec.circuit) {
            const admission = admitCall(await spec.circuit.current().catch(() => closedCircuit(0)), Date.now());
            if (!admission.admit) {
              await sleep(Math.min(admission.waitMs, 1_000));
              continue;
            }
            // The probe carries one message; the rest wait for its outcome.
            if (admission.probe) {
              max = 1;
              probing = true;
            }
          }
          const batch = await consumer.fetch({ max_messages: max, expires: FETCH_EXPIRES_MS });
          for await (const msg of batch) {
            if (stopping) {
              msg.nak();
              continue;
            }
            const task: Promise<void> = handleOne(msg)
              .catch((error: unknown) => {
                logger.error("handler crashed", { error });
              })
              .finally(() => inflight.delete(task));
            inflight.add(task);
            // Nothing more is pulled until the probe's outcome is in the circuit.
            if (probing) await task;
          }
        }
      } catch (error) {
        connected = false;
        if (!stopping) logger.warn("consumer loop restarting", { stage: spec.stage, error });
      }
      connected = false;
      if (!stopping) {
        await sleep(1000);
        await ensureConsumer(bus, spec as ConsumerSpec<z.ZodType>).catch(() => undefined);
      }
    }
  };
  const loop = run();

  return {
    ready: () => connected && !stopping,
    stop: async (deadlineMs = 20_000) => {
      stopping = true;
      unregisterBacklog();
      // In-flight handlers finish and ack or nak, the open pull ends and its messages are nak'd;
      // whatever misses the deadline is redelivered after AckWait.
      await Promise.race([Promise.allSettled([loop, ...inflight]), sleep(deadlineMs)]);
    },
  };
}
