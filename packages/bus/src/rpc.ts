import type { NatsConnection, Msg, Subscription } from "@nats-io/nats-core";
import { headers as natsHeaders } from "@nats-io/nats-core";
import type { z } from "zod";
import { retryable, permanent, isSyncError } from "@concord/contracts";
import { contextFromHeaders, traceHeaders, withSpan, SpanKind, type Logger } from "@concord/telemetry";

/** Wire shape of every reply: errors are data, not timeouts. */
type Reply<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string; kind?: string } };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Serves request/reply on a subject with a queue group, so replicas share the load. Requests
 * are parsed with the schema; a bad request gets an error reply, never silence.
 */
export function serveRpc<Req extends z.ZodType, Res>(
  nc: NatsConnection,
  subject: string,
  requestSchema: Req,
  handler: (request: z.infer<Req>) => Promise<Res>,
  logger: Logger,
  queue = "concord",
): Subscription {
  const sub = nc.subscribe(subject, { queue });
  const respond = (msg: Msg, reply: Reply<Res>) => {
    if (msg.reply) msg.respond(encoder.encode(JSON.stringify(reply)));
  };
  void (async () => {
    for await (const msg of sub) {
      const parent = contextFromHeaders((name) => msg.headers?.get(name) || undefined);
      void withSpan(`rpc ${subject}`, { kind: SpanKind.SERVER, parent }, async () => {
        let body: unknown;
        try {
          body = JSON.parse(decoder.decode(msg.data));
        } catch {
          respond(msg, { ok: false, error: { code: "BAD_REQUEST", message: "request is not JSON", kind: "permanent" } });
          return;
        }
        const parsed = requestSchema.safeParse(body);
        if (!parsed.success) {
          respond(msg, { ok: false, error: { code: "BAD_REQUEST", message: parsed.error.message, kind: "permanent" } });
          return;
        }
        try {
          respond(msg, { ok: true, value: await handler(parsed.data) });
        } catch (error) {
          const kind = isSyncError(error) ? error.kind : "retryable";
          const code = isSyncError(error) ? error.code : "INTERNAL";
          logger.warn("rpc handler failed", { subject, code, error });
          respond(msg, { ok: false, error: { code, message: String((error as Error)?.message ?? error), kind } });
        }
      });
    }
  })();
  return sub;
}

/**
 * Sends a request and parses the reply. No responder, a timeout or an error reply become
 * SyncErrors, so the caller's consumer decides retry or dead-letter as for any other failure.
 */
export async function requestRpc<Res extends z.ZodType>(
  nc: NatsConnection,
  subject: string,
  request: unknown,
  replySchema: Res,
  timeoutMs = 10_000,
): Promise<z.infer<Res>> {
  const h = natsHeaders();
  for (const [k, v] of Object.entries(traceHeaders())) h.set(k, v);
  let msg: Msg;
  try {
    msg = await nc.request(subject, encoder.encode(JSON.stringify(request)), { timeout: timeoutMs, headers: h });
  } catch (error) {
    throw retryable("RPC_UNAVAILABLE", `no reply on ${subject}: ${(error as Error).message}`, { cause: error });
  }
  const reply = JSON.parse(decoder.decode(msg.data)) as Reply<unknown>;
  if (!reply.ok) {
    const make = reply.error.kind === "permanent" ? permanent : retryable;
    throw make(reply.error.code, `${subject}: ${reply.error.message}`);
  }
  const parsed = replySchema.safeParse(reply.value);
  if (!parsed.success) throw permanent("BAD_REPLY", `${subject}: reply does not match the contract: ${parsed.error.message}`);
  return parsed.data;
}
