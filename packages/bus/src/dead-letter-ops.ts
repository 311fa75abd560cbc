import { headers as natsHeaders, type NatsConnection } from "@nats-io/nats-core";
import type { JetStreamClient, PubAck } from "@nats-io/jetstream";
import {
  DlqGetReplySchema,
  DlqListReplySchema,
  DlqMarkReplySchema,
  Headers,
  retryable,
  type DeadLetterRecord,
  type DlqListRequest,
  type DlqMarkRequest,
  type Subjects,
} from "@concord/contracts";
import { requestRpc } from "./rpc";

/** Typed client of mapping's `dlq.list | get | mark` (mapping owns the `dead_letters` table). */
export function createDlqClient(nc: NatsConnection, subjects: Subjects, timeoutMs = 10_000) {
  const rpc = subjects.rpc;
  return {
    list: (request: DlqListRequest) => requestRpc(nc, rpc.dlqList, request, DlqListReplySchema, timeoutMs),
    get: (id: number) => requestRpc(nc, rpc.dlqGet, { id }, DlqGetReplySchema, timeoutMs),
    mark: (request: DlqMarkRequest) => requestRpc(nc, rpc.dlqMark, request, DlqMarkReplySchema, timeoutMs),
  };
}
export type DlqClient = ReturnType<typeof createDlqClient>;

export interface RepublishOptions {
  /** The new dedupe id (`retry:<dead letter id>:<n>`). */
  msgId: string;
  /** Headers to carry over from the original (schema, trace context). */
  headers: Record<string, string>;
  /** The dead letter being retried: becomes `Concord-Retry-Of`. */
  retryOf: number;
  attempts?: number;
  timeoutMs?: number;
}

/** Headers of the original that a retry keeps: its schema and its trace (one trace across the retry). */
const carried = [Headers.schema, Headers.traceparent, Headers.tracestate];

/**
 * Publishes a dead letter's original payload, byte for byte, to its original subject with a new
 * dedupe id and `Concord-Retry-Of`, and resolves only with the JetStream ack. The same msg id on
 * each attempt, so a timeout followed by a successful attempt stores it once.
 */
export async function republishOriginal(js: JetStreamClient, record: Pick<DeadLetterRecord, "subject" | "original">, options: RepublishOptions): Promise<PubAck> {
  const h = natsHeaders();
  for (const name of carried) {
    const value = options.headers[name];
    if (value) h.set(name, value);
  }
  h.set(Headers.msgId, options.msgId);
  h.set(Headers.retryOf, String(options.retryOf));
  const data = new TextEncoder().encode(record.original.data);
  return publishWithRetries(js, record.subject, data, h, options.msgId, options.attempts ?? 3, options.timeoutMs ?? 3000);
}

/** Publishes JSON with extra headers (e.g. `Concord-Retry-Of` on a refresh event). */
export async function publishJsonWithHeaders(
  js: JetStreamClient,
  subject: string,
  payload: unknown,
  options: { msgId: string; schema: string; headers?: Record<string, string>; attempts?: number; timeoutMs?: number },
): Promise<PubAck> {
  const h = natsHeaders();
  for (const [k, v] of Object.entries(options.headers ?? {})) h.set(k, v);
  h.set(Headers.msgId, options.msgId);
  h.set(Headers.schema, options.schema);
  const data = new TextEncoder().encode(JSON.stringify(payload));
  return publishWithRetries(js, subject, data, h, options.msgId, options.attempts ?? 3, options.timeoutMs ?? 3000);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function publishWithRetries(
  js: JetStreamClient,
  subject: string,
  data: Uint8Array,
  headers: ReturnType<typeof natsHeaders>,
  msgId: string,
  attempts: number,
  timeoutMs: number,
): Promise<PubAck> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await js.publish(subject, data, { msgID: msgId, headers, timeout: timeoutMs });
    } catch (error) {
      lastError = error;
      if (attempt < attempts) await sleep(100 * 2 ** attempt);
    }
  }
  throw retryable("BUS_PUBLISH_FAILED", `publish to ${subject} not acknowledged: ${(lastError as Error)?.message}`, { cause: lastError });
}
