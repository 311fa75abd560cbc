import type { JsMsg, JetStreamClient } from "@nats-io/jetstream";
import { Headers, SchemaVersions, isSyncError, type DeadLetter, type Subjects } from "@concord/contracts";
import { currentTraceId, masker } from "@concord/telemetry";
import { publishJson } from "./publish";
import { currentSealer } from "./sealing";

/** The payload as people see it: JSON masked field by field (secret-named fields) and by value; other text by value. */
export function maskedPayload(data: string): string {
  try {
    return JSON.stringify(masker.value(JSON.parse(data) as unknown));
  } catch {
    return masker.text(data);
  }
}

/**
 * Builds the DLQ record for a message: the original masked for people and sealed (unmasked,
 * encrypted) for a retry, the error, the attempts, the trace.
 */
export function toDeadLetter(stage: string, msg: JsMsg, error: unknown, firstFailedAt: Date, now = new Date()): DeadLetter {
  const headers: Record<string, string> = {};
  const rawHeaders: Record<string, string> = {};
  for (const [key, values] of msg.headers ?? []) {
    const value = values.join(",");
    rawHeaders[key] = value;
    headers[key] = masker.text(value);
  }
  const data = new TextDecoder().decode(msg.data);
  const sealer = currentSealer();
  const sync = isSyncError(error) ? error : undefined;
  return {
    v: 1,
    type: "dead-letter",
    stage,
    stream: msg.info.stream,
    streamSeq: msg.info.streamSequence,
    subject: msg.subject,
    messageId: msg.headers?.get(Headers.msgId) || null,
    original: { data: maskedPayload(data), headers, ...(sealer ? { sealed: sealer.seal(JSON.stringify({ data, headers: rawHeaders })) } : {}) },
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
