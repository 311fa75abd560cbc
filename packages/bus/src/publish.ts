import { headers as natsHeaders } from "@nats-io/nats-core";
import type { JetStreamClient, PubAck } from "@nats-io/jetstream";
import { Headers, SchemaVersions, changeEventId, retryable } from "@concord/contracts";
import type { ChangeEvent, Subjects } from "@concord/contracts";
import { traceHeaders } from "@concord/telemetry";

export interface PublishOptions {
  /** Content-derived dedupe id (see @concord/contracts dedupe). */
  msgId: string;
  /** `Concord-Schema` header, e.g. `change/1`. */
  schema: string;
  /** Attempts before giving up (the same msg id each time, so a retry never duplicates). */
  attempts?: number;
  /** Per-attempt timeout. */
  timeoutMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Publishes JSON to JetStream and resolves only with the server's ack. A timeout leaves the
 * outcome unknown (the message may be stored), so it is retried with the same msg id inside
 * the duplicate window. Failing all attempts throws a retryable error: the caller must not
 * report success (ingress answers 503, a consumer naks).
 */
export async function publishJson(
  js: JetStreamClient,
  subject: string,
  payload: unknown,
  options: PublishOptions,
): Promise<PubAck> {
  const h = natsHeaders();
  h.set(Headers.msgId, options.msgId);
  h.set(Headers.schema, options.schema);
  for (const [k, v] of Object.entries(traceHeaders())) h.set(k, v);
  const data = new TextEncoder().encode(JSON.stringify(payload));
  const attempts = options.attempts ?? 3;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await js.publish(subject, data, { msgID: options.msgId, headers: h, timeout: options.timeoutMs ?? 3000 });
    } catch (error) {
      lastError = error;
      if (attempt < attempts) await sleep(100 * 2 ** attempt);
    }
  }
  throw retryable("BUS_PUBLISH_FAILED", `publish to ${subject} not acknowledged: ${(lastError as Error)?.message}`, {
    cause: lastError,
    retryAfterMs: 2000,
  });
}

/** Publishes a change event on its subject, deduplicated by its content (see changeEventId). */
export function publishChange(js: JetStreamClient, subjects: Pick<Subjects, "event">, event: ChangeEvent): Promise<PubAck> {
  return publishJson(js, subjects.event(event.system, event.entity), event, { msgId: changeEventId(event), schema: SchemaVersions.change });
}
