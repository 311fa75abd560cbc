import type { NatsConnection, Msg, Subscription } from "@nats-io/nats-core";
import { headers as natsHeaders } from "@nats-io/nats-core";
import type { z } from "zod";
import { retryable, permanent, isSyncError } from "@concord/contracts";
import { contextFromHeaders, masker, traceHeaders, withSpan, SpanKind, type Logger } from "@concord/telemetry";

/** Wire shape of every reply: errors are data, not timeouts. */
type ErrorReply = { ok: false; error: { code: string; message: string; kind?: string } };
type Reply<T> = { ok: true; value: T } | ErrorReply;

/** The error reply of a failed handler: its message masked, since it travels on to the console and its users. */
export function rpcErrorReply(error: unknown): ErrorReply {
  const kind = isSyncError(error) ? error.kind : "retryable";
  const code = isSyncError(error) ? error.code : "INTERNAL";
  return { ok: false, error: { code, message: masker.text(String((error as Error)?.message ?? error)).slice(0, 4000), kind } };
}

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
          respond(msg, { ok: false, error: { code: "BAD_REQUEST", message: masker.text(parsed.error.message), kind: "permanent" } });
          return;
        }
        try {
          respond(msg, { ok: true, value: await handler(parsed.data) });
        } catch (error) {
          const reply = rpcErrorReply(error);
          // A target's open circuit refuses every read alike: the circuit logs its changes once.
          if (reply.error.code === "CIRCUIT_OPEN") logger.debug("rpc refused: circuit open", { subject });
          else logger.warn("rpc handler failed", { subject, code: reply.error.code, error });
          respond(msg, reply);
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
    throw make(reply.error.code, `${subject}: ${masker.text(reply.error.message)}`);
  }
  const parsed = replySchema.safeParse(reply.value);
  if (!parsed.success) throw permanent("BAD_REPLY", `${subject}: reply does not match the contract: ${parsed.error.message}`);
  return parsed.data;
}
