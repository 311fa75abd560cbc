import { headers as natsHeaders, type NatsConnection } from "@nats-io/nats-core";
import type { JetStreamClient, PubAck } from "@nats-io/jetstream";
import {
  DlqGetReplySchema,
  DlqListReplySchema,
  DlqMarkReplySchema,
  AuditListReplySchema,
  AuditRecordReplySchema,
  type AuditListRequest,
  type AuditRecordRequest,
  Headers,
  permanent,
  retryable,
  type DeadLetterRecord,
  type DlqListRequest,
  type DlqMarkRequest,
  type Subjects,
} from "@concord/contracts";
import { requestRpc } from "./rpc";
import { currentSealer, type Sealer } from "./sealing";

/**
 * The original of a dead letter as it was sent: opened from its sealed copy. A letter without
 * one (recorded before sealing, or with sealing off) is retried from its masked copy only when
 * nothing in it was masked; otherwise the retry is refused (a retry must never write `***`).
 */
export function openOriginal(
  record: Pick<DeadLetterRecord, "original">,
  sealer: Sealer | null = currentSealer(),
): { data: string; headers: Record<string, string> } {
  const { sealed, data, headers } = record.original;
  if (sealed) {
    if (!sealer) throw permanent("DLQ_SEAL_UNKNOWN_KEY", "the payload is sealed and no CONCORD_DLQ_KEY is configured here");
    const opened = JSON.parse(sealer.open(sealed)) as { data: string; headers: Record<string, string> };
    return { data: opened.data, headers: opened.headers ?? {} };
  }
  if (data.includes("***")) {
    throw permanent("DLQ_PAYLOAD_MASKED", "this dead letter was stored masked (before sealing): retry it with refresh, which rebuilds it from the source record");
  }
  return { data, headers };
}

/** Typed client of mapping's `dlq.list | get | mark` (mapping owns the `dead_letters` table). */
export function createDlqClient(nc: NatsConnection, subjects: Subjects, timeoutMs = 10_000) {
  const rpc = subjects.rpc;
  return {
    list: (request: DlqListRequest) => requestRpc(nc, rpc.dlqList, request, DlqListReplySchema, timeoutMs),
    get: (id: number) => requestRpc(nc, rpc.dlqGet, { id }, DlqGetReplySchema, timeoutMs),
    mark: (request: DlqMarkRequest) => requestRpc(nc, rpc.dlqMark, request, DlqMarkReplySchema, timeoutMs),
    /** The audit trail, also kept by mapping. */
    audit: (entry: AuditRecordRequest) => requestRpc(nc, rpc.auditRecord, entry, AuditRecordReplySchema, timeoutMs),
    auditList: (request: AuditListRequest) => requestRpc(nc, rpc.auditList, request, AuditListReplySchema, timeoutMs),
  };
}
export type DlqClient = ReturnType<typeof createDlqClient>;

export interface RepublishOptions {
  /** The new dedupe id (`retry:<dead letter id>:<n>`). */
  msgId: string;
  /** Headers to carry over (schema, trace context); by default the opened original's. */
  headers?: Record<string, string>;
  /** The dead letter being retried: becomes `Concord-Retry-Of`. */
  retryOf: number;
  attempts?: number;
  timeoutMs?: number;
}

/** Headers of the original that a retry keeps: its schema and its trace (one trace across the retry). */
const carried = [Headers.schema, Headers.traceparent, Headers.tracestate];

/**
 * Publishes a dead letter's original payload, byte for byte as first sent (opened from its
 * sealed copy), to its original subject with a new dedupe id and `Concord-Retry-Of`, and
 * resolves only with the JetStream ack. The same msg id on each attempt, so a timeout followed
 * by a successful attempt stores it once.
 */
export async function republishOriginal(
  js: Pick<JetStreamClient, "publish">,
  record: Pick<DeadLetterRecord, "subject" | "original">,
  options: RepublishOptions,
  sealer: Sealer | null = currentSealer(),
): Promise<PubAck> {
  const original = openOriginal(record, sealer);
  const from = options.headers ?? original.headers;
  const h = natsHeaders();
  for (const name of carried) {
    const value = from[name];
    if (value) h.set(name, value);
  }
  h.set(Headers.msgId, options.msgId);
  h.set(Headers.retryOf, String(options.retryOf));
  const data = new TextEncoder().encode(original.data);
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
  js: Pick<JetStreamClient, "publish">,
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
