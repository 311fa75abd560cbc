import { BITRIX24_ID, permanent, retryable, isSyncError, withCallRetry, type SyncError } from "@concord/contracts";
import { SpanKind, masker, observeTargetRequest, recordTargetCall, traceHeaders, withSpan } from "@concord/telemetry";
import { BATCH_LIMIT, createCallQueue, plainStatusOf, splitBatchAnswer, toBatchCommand, type Bitrix24RateLimiter, type CallOutcome, type QueuedCall } from "./batcher";
import { classifyBitrix24Error, type Bitrix24ErrorBody } from "./classify";

export interface Bitrix24ClientOptions {
  /** Inbound webhook base, e.g. https://portal.bitrix24.ru/rest/1/<token>/ — a secret (holds the token). */
  webhookBase: string;
  timeoutMs?: number;
  /**
   * The portal's rate limit, shared by every process that calls it: each HTTP request takes one
   * token first. Without it requests go out at once and are never batched.
   */
  limiter?: Bitrix24RateLimiter;
  /** Most calls sent as one `batch` while calls wait for a token (1–50, default 50; 1 = no batching). */
  batchMax?: number;
}

export interface Bitrix24ListPage<T> {
  result: T[];
  total: number;
  next?: number;
}

/**
 * A record id checked before it goes into a request: a positive integer, nothing else (refused
 * as permanent, so the message goes to the DLQ instead of reaching the portal).
 */
export function checkedRecordId(id: string): string {
  if (typeof id !== "string" || !BITRIX24_ID.test(id)) {
    throw permanent("INVALID_RECORD_ID", `not a Bitrix24 id: ${JSON.stringify(String(id).slice(0, 80))}`);
  }
  return id;
}

/** Raw Bitrix24 records: ids and money are strings, empty values null. */
export type Bitrix24Record = Record<string, unknown>;

type Body = Bitrix24ErrorBody & { result?: unknown; total?: number; next?: number };

/** What came back for one HTTP request: an answer (any status), or no answer at all. */
type Reply = { answered: true; status: number; ok: boolean; body: Body | undefined; retryAfter: string | null } | { answered: false; timeout: boolean; cause: unknown };

/**
 * Classic REST over an inbound webhook. Every failure becomes a classified SyncError (never a
 * raw fetch error); the webhook URL, which holds the token, never appears in errors or spans.
 * With a limiter, calls wait for a token, and calls that wait together go out as one `batch`.
 */
export function createBitrix24Client(options: Bitrix24ClientOptions) {
  const base = options.webhookBase.endsWith("/") ? options.webhookBase : `${options.webhookBase}/`;
  // The webhook token is a secret wherever it shows up (a vendor error may echo the path).
  const token = /\/rest\/\d+\/([^/?#]+)/.exec(base)?.[1];
  if (token) masker.addSecrets([decodeURIComponent(token)]);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const batchMax = Math.min(BATCH_LIMIT, Math.max(1, Math.floor(options.batchMax ?? BATCH_LIMIT)));
  const limiter = options.limiter;

  /**
   * Reads, replace-all writes and updates that change existing items can be repeated safely;
   * adds (and updates that append multi-field items) cannot: their outcome may be unknown.
   */
  function idempotent(method: string, params: Record<string, unknown>): boolean {
    if (/\.(get|list|fields)$/.test(method) || method === "crm.deal.productrows.set") return true;
    if (!method.endsWith(".update")) return false;
    const fields = (params.fields ?? {}) as Record<string, unknown>;
    return !Object.values(fields).some((v) => Array.isArray(v) && v.some((item) => item && typeof item === "object" && !("ID" in item)));
  }

  /** The HTTP status a call's error came with (for a batched call: its own command's), for the exchange log. */
  const statusOf = new WeakMap<object, number>();

  /** One POST to the portal. */
  async function post(method: string, params: Record<string, unknown>): Promise<Reply> {
    const started = performance.now();
    const reply = await postOnce(method, params);
    observeTargetRequest("bitrix24", method, reply.answered ? reply.status : reply.timeout ? "timeout" : "network", (performance.now() - started) / 1000);
    return reply;
  }

  async function postOnce(method: string, params: Record<string, unknown>): Promise<Reply> {
    let response: Response;
    try {
      response = await fetch(`${base}${method}.json`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json", ...traceHeaders() },
        body: JSON.stringify(params),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const name = (error as Error).name;
      return { answered: false, timeout: name === "TimeoutError" || name === "AbortError", cause: (error as Error & { cause?: unknown }).cause ?? undefined };
    }
    const text = await response.text();
    let body: Body | undefined;
    try {
      body = text ? (JSON.parse(text) as Body) : undefined;
    } catch {
      body = undefined;
    }
    return { answered: true, status: response.status, ok: response.ok, body, retryAfter: response.headers.get("retry-after") };
  }

  /** The classified error of a failed reply (for `method`, also when it came for a whole batch), or null. */
  function failureOf(reply: Reply, method: string): SyncError | null {
    const error = classifiedFailure(reply, method);
    if (error && reply.answered) statusOf.set(error, reply.status);
    return error;
  }

  function classifiedFailure(reply: Reply, method: string): SyncError | null {
    if (!reply.answered) {
      const code = reply.timeout ? "B24_TIMEOUT" : "B24_NETWORK";
      return retryable(code, `bitrix24 ${method}: ${reply.timeout ? `no answer in ${timeoutMs} ms` : "connection failed"}`, { cause: reply.cause });
    }
    const { status, ok, body } = reply;
    if (ok && body !== undefined && !(body.error !== undefined && body.result === undefined)) return null;
    if (ok && body === undefined) return retryable("B24_BAD_RESPONSE", `bitrix24 ${method}: HTTP ${status} with a body that is not JSON`);
    return classifyBitrix24Error(status, body, reply.retryAfter, method);
  }

  /** Tells every replica to pause when the portal said it is over its limit; never fails the call for it. */
  async function noteLimited(errors: Array<SyncError | null>): Promise<void> {
    const limited = errors.filter((e): e is SyncError => e?.code === "B24_QUERY_LIMIT_EXCEEDED");
    if (!limiter || limited.length === 0) return;
    await limiter.reportLimited(Math.max(...limited.map((e) => e.retryAfterMs ?? 0))).catch(() => undefined);
  }

  async function sendPlain(method: string, params: Record<string, unknown>): Promise<unknown> {
    return withSpan(`bitrix24 ${method}`, { kind: SpanKind.CLIENT, attributes: { "rpc.system": "bitrix24", "rpc.method": method } }, async () => {
      const reply = await post(method, params);
      const error = failureOf(reply, method);
      if (error) {
        await noteLimited([error]);
        throw error;
      }
      return (reply as { body: Body }).body;
    });
  }

  /** Calls as one `batch {halt:0, cmd:{c0:…}}`; each gets the answer (or error) its plain call would have. */
  async function sendBatch(calls: QueuedCall[]): Promise<CallOutcome[]> {
    const methods = [...new Set(calls.map((c) => c.method))].sort().join(",");
    const attributes = { "rpc.system": "bitrix24", "rpc.method": "batch", "bitrix24.batch.commands": calls.length, "bitrix24.batch.methods": methods };
    return withSpan("bitrix24 batch", { kind: SpanKind.CLIENT, attributes }, async (span) => {
      const keys = calls.map((_, i) => `c${i}`);
      const reply = await post("batch", { halt: 0, cmd: Object.fromEntries(calls.map((c, i) => [keys[i], c.command])) });
      let errors: Array<SyncError | null>;
      const outcomes: CallOutcome[] = [];
      const parts = reply.answered && reply.ok ? splitBatchAnswer(reply.body, keys) : null;
      if (failureOf(reply, "batch") || !parts) {
        // The whole request failed (no answer, 503 QUERY_LIMIT_EXCEEDED…): so does every call in it.
        errors = calls.map((c) => failureOf(reply, c.method) ?? retryable("B24_BAD_RESPONSE", `bitrix24 ${c.method}: a batch answer without result sections`));
      } else {
        errors = calls.map((c, i) => {
          const part = parts.get(keys[i] as string);
          if (!part || (!part.ok && part.error === null)) return retryable("B24_BAD_RESPONSE", `bitrix24 ${c.method}: no answer for it in the batch`);
          if (part.ok) return null;
          const error = classifyBitrix24Error(plainStatusOf(part.error.error), part.error, null, c.method);
          statusOf.set(error, plainStatusOf(part.error.error));
          return error;
        });
        calls.forEach((_, i) => {
          const part = parts.get(keys[i] as string);
          if (part?.ok) outcomes[i] = { ok: true, value: part.body };
        });
      }
      errors.forEach((error, i) => {
        if (error) outcomes[i] = { ok: false, error };
      });
      span.setAttribute("bitrix24.batch.errors", errors.filter((e) => e !== null).length);
      await noteLimited(errors);
      return outcomes;
    });
  }

  const queue = limiter
    ? createCallQueue({
        limiter,
        batchMax,
        sendOne: (c) => sendPlain(c.method, c.params),
        sendBatch,
        limiterFailed: (error, c) =>
          isSyncError(error) ? error : retryable("B24_RATE_LIMITER_UNAVAILABLE", `bitrix24 ${c.method}: no token from the shared rate limiter`, { cause: error }),
      })
    : null;

  async function callOnce<T>(method: string, params: Record<string, unknown>, command: string | null): Promise<T> {
    return (queue ? queue.run({ method, params, command }) : sendPlain(method, params)) as Promise<T>;
  }

  /** One try of a call, recorded for the exchange log of the message being handled (method, status, duration, attempt). */
  async function recorded<T>(method: string, attempt: number, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const value = await run();
      recordTargetCall({ target: "bitrix24", call: method, status: 200, durationMs: performance.now() - started, attempt });
      return value;
    } catch (error) {
      const status = error !== null && typeof error === "object" ? (statusOf.get(error) ?? null) : null;
      recordTargetCall({ target: "bitrix24", call: method, status, durationMs: performance.now() - started, attempt, error: String((error as Error)?.message ?? error) });
      throw error;
    }
  }

  async function call<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const command = queue && batchMax > 1 ? toBatchCommand(method, params) : null;
    let attempt = 0;
    const once = () => recorded(method, ++attempt, () => callOnce<T>(method, params, command));
    return idempotent(method, params) ? withCallRetry(once) : once();
  }

  async function result<T>(method: string, params?: Record<string, unknown>): Promise<T> {
    return (await call<{ result: T }>(method, params)).result;
  }

  /** `get` that answers null for "Not found" instead of throwing. */
  async function getOrNull(method: string, id: string): Promise<Bitrix24Record | null> {
    try {
      return await result<Bitrix24Record>(method, { id: checkedRecordId(id) });
    } catch (error) {
      if (isSyncError(error) && error.code === "B24_NOT_FOUND") return null;
      throw error;
    }
  }

  return {
    call,
    result,
    getDeal: (id: string) => getOrNull("crm.deal.get", id),
    getCompany: (id: string) => getOrNull("crm.company.get", id),
    getContact: (id: string) => getOrNull("crm.contact.get", id),
    getProduct: (id: string) => getOrNull("crm.product.get", id),
    getDealProductRows: async (id: string) => result<Bitrix24Record[]>("crm.deal.productrows.get", { id: checkedRecordId(id) }),
    updateDeal: async (id: string, fields: Record<string, unknown>) => result<boolean>("crm.deal.update", { id: checkedRecordId(id), fields }),
    listDeals: (params: { filter?: Record<string, unknown>; order?: Record<string, string>; select?: string[]; start?: number }) =>
      call<Bitrix24ListPage<Bitrix24Record>>("crm.deal.list", params),
  };
}

export type Bitrix24Client = ReturnType<typeof createBitrix24Client>;
