import type { JsMsg, JetStreamClient } from "@nats-io/jetstream";
import { Headers, SchemaVersions, isSyncError, type DeadLetter, type Subjects } from "@concord/contracts";
import { currentTraceId, masker } from "@concord/telemetry";
import { publishJson } from "./publish";

/** Builds the DLQ record for a message: the original (masked), the error, the attempts, the trace. */
export function toDeadLetter(stage: string, msg: JsMsg, error: unknown, firstFailedAt: Date, now = new Date()): DeadLetter {
  const headers: Record<string, string> = {};
  for (const [key, values] of msg.headers ?? []) headers[key] = masker.text(values.join(","));
  const sync = isSyncError(error) ? error : undefined;
  return {
    v: 1,
    type: "dead-letter",
    stage,
    stream: msg.info.stream,
    streamSeq: msg.info.streamSequence,
    subject: msg.subject,
    messageId: msg.headers?.get(Headers.msgId) || null,
    original: { data: masker.text(new TextDecoder().decode(msg.data)), headers },
    error: {
      kind: sync?.kind ?? "retryable",
      code: sync?.code ?? "UNCLASSIFIED",
      message: masker.text(String((error as Error)?.message ?? error)).slice(0, 4000),
      failureClass: sync?.failureClass ?? "pipeline",
    },
    attempts: msg.info.deliveryCount,
    firstFailedAt: firstFailedAt.toISOString(),
    lastFailedAt: now.toISOString(),
    traceId: currentTraceId(),
    // A retry that failed again points at the dead letter it retried: the history chain.
    retryOf: msg.headers?.get(Headers.retryOf) || null,
  };
}

/**
 * Publishes the record to the DLQ stream before the original is acked (NATS 2.9 drops the
 * reason of term(), and a dead letter must never exist only in memory).
 */
export async function publishDeadLetter(js: JetStreamClient, subjects: Subjects, record: DeadLetter): Promise<void> {
  await publishJson(js, subjects.deadLetter(record.stage), record, {
    msgId: `dlq:${record.stream}:${record.streamSeq}:${record.attempts}`,
    schema: SchemaVersions.deadLetter,
  });
}
