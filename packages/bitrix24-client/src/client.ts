import { retryable, isSyncError, withCallRetry } from "@concord/contracts";
import { SpanKind, traceHeaders, withSpan } from "@concord/telemetry";
import { classifyBitrix24Error, type Bitrix24ErrorBody } from "./classify";

export interface Bitrix24ClientOptions {
  /** Inbound webhook base, e.g. https://portal.bitrix24.ru/rest/1/<token>/ — a secret (holds the token). */
  webhookBase: string;
  timeoutMs?: number;
}

export interface Bitrix24ListPage<T> {
  result: T[];
  total: number;
  next?: number;
}

/** Raw Bitrix24 records: ids and money are strings, empty values null. */
export type Bitrix24Record = Record<string, unknown>;

/**
 * Classic REST over an inbound webhook. Every failure becomes a classified SyncError (never a
 * raw fetch error); the webhook URL, which holds the token, never appears in errors or spans.
 */
export function createBitrix24Client(options: Bitrix24ClientOptions) {
  const base = options.webhookBase.endsWith("/") ? options.webhookBase : `${options.webhookBase}/`;
  const timeoutMs = options.timeoutMs ?? 30_000;

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

  async function call<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    return idempotent(method, params) ? withCallRetry(() => callOnce<T>(method, params)) : callOnce<T>(method, params);
  }

  async function callOnce<T>(method: string, params: Record<string, unknown>): Promise<T> {
    return withSpan(`bitrix24 ${method}`, { kind: SpanKind.CLIENT, attributes: { "rpc.system": "bitrix24", "rpc.method": method } }, async () => {
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
        const code = name === "TimeoutError" || name === "AbortError" ? "B24_TIMEOUT" : "B24_NETWORK";
        throw retryable(code, `bitrix24 ${method}: ${code === "B24_TIMEOUT" ? `no answer in ${timeoutMs} ms` : "connection failed"}`, {
          cause: (error as Error & { cause?: unknown }).cause ?? undefined,
        });
      }
      const text = await response.text();
      let body: (Bitrix24ErrorBody & { result?: unknown; total?: number; next?: number }) | undefined;
      try {
        body = text ? (JSON.parse(text) as typeof body) : undefined;
      } catch {
        body = undefined;
      }
      if (!response.ok || body === undefined || (body.error !== undefined && body.result === undefined)) {
        if (response.ok && body === undefined) throw retryable("B24_BAD_RESPONSE", `bitrix24 ${method}: HTTP ${response.status} with a body that is not JSON`);
        throw classifyBitrix24Error(response.status, body, response.headers.get("retry-after"), method);
      }
      return body as T;
    });
  }

  async function result<T>(method: string, params?: Record<string, unknown>): Promise<T> {
    return (await call<{ result: T }>(method, params)).result;
  }

  /** `get` that answers null for "Not found" instead of throwing. */
  async function getOrNull(method: string, id: string): Promise<Bitrix24Record | null> {
    try {
      return await result<Bitrix24Record>(method, { id });
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
    getDealProductRows: (id: string) => result<Bitrix24Record[]>("crm.deal.productrows.get", { id }),
    updateDeal: (id: string, fields: Record<string, unknown>) => result<boolean>("crm.deal.update", { id, fields }),
    listDeals: (params: { filter?: Record<string, unknown>; order?: Record<string, string>; select?: string[]; start?: number }) =>
      call<Bitrix24ListPage<Bitrix24Record>>("crm.deal.list", params),
  };
}

export type Bitrix24Client = ReturnType<typeof createBitrix24Client>;
