import { ONEC_REF_KEY, permanent, retryable, isSyncError, withCallRetry } from "@concord/contracts";
import { SpanKind, observeTargetRequest, recordTargetCall, traceHeaders, withSpan } from "@concord/telemetry";
import { classifyOnecError, type OnecErrorBody } from "./classify";

export interface OnecClientOptions {
  /** Service root, e.g. http://host/trade/odata/standard.odata/ */
  serviceRoot: string;
  user: string;
  /** Secret: sent only in the Authorization header, never logged. */
  password: string;
  timeoutMs?: number;
  /** The 1C server's rate limit, shared by every process that calls it: each HTTP request takes one token first. */
  limiter?: OnecRateLimiter;
}

/** One token per request (see @concord/bus createSharedRateLimiter); a 429 from 1C pauses every replica. */
export interface OnecRateLimiter {
  acquire(): Promise<void>;
  reportLimited(retryAfterMs?: number): Promise<void>;
}

export type OnecRecord = Record<string, unknown> & { Ref_Key: string; DataVersion?: string };

export interface ListQuery {
  filter?: string;
  select?: string[];
  top?: number;
  skip?: number;
  orderby?: string;
}

/** OData string literal: single quotes doubled. */
export const odataString = (value: string) => `'${value.replace(/'/g, "''")}'`;

/**
 * A Ref_Key checked before it is put into a URL or a filter: anything but a GUID is refused
 * (permanent, so the message goes to the DLQ), never sent to 1C with Concord's credentials.
 */
export function checkedRefKey(ref: string): string {
  if (typeof ref !== "string" || !ONEC_REF_KEY.test(ref)) {
    throw permanent("INVALID_RECORD_ID", `not a 1C Ref_Key: ${JSON.stringify(String(ref).slice(0, 80))}`);
  }
  return ref;
}

export const odataGuid = (value: string) => `guid'${checkedRefKey(value)}'`;

/**
 * A request as metrics and the exchange log name it: the verb and the set, with a record's key
 * left out (`PATCH Document_ЗаказКлиента(…)`, `POST Document_ЗаказКлиента(…)/Post`) — bounded,
 * and never an id.
 */
export function onecCallName(method: string, path: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    decoded = path;
  }
  return `${method} ${decoded.replace(/\([^)]*\)/g, "(…)")}`.slice(0, 200);
}

/**
 * The 1C standard OData interface. Always `$format=json`; Cyrillic names percent-encoded as
 * UTF-8, spaces as %20 (1C does not read `+`). Every failure becomes a classified SyncError.
 */
export function createOnecClient(options: OnecClientOptions) {
  const root = options.serviceRoot.endsWith("/") ? options.serviceRoot : `${options.serviceRoot}/`;
  const auth = `Basic ${Buffer.from(`${options.user}:${options.password}`, "utf8").toString("base64")}`;
  const timeoutMs = options.timeoutMs ?? 30_000;

  function url(path: string, query: Record<string, string | number | undefined> = {}): string {
    const params = Object.entries({ $format: "json", ...query })
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`);
    return `${root}${path}?${params.join("&")}`;
  }

  const entityPath = (set: string, ref: string) => `${encodeURIComponent(set)}(${odataGuid(ref)})`;

  /** Everything but a create can be repeated safely (PATCH replaces, Post/Unpost are idempotent). */
  async function request<T>(method: string, path: string, query: Record<string, string | number | undefined>, body?: unknown): Promise<T> {
    const repeatable = method !== "POST" || /\/(Post|Unpost)$/.test(path);
    let attempt = 0;
    const once = () => recorded<T>(method, path, ++attempt, (answer) => requestOnce<T>(method, path, query, body, answer));
    return repeatable ? withCallRetry(once) : once();
  }

  /** One try of a request, recorded for the exchange log of the message being handled. */
  async function recorded<T>(method: string, path: string, attempt: number, run: (answer: { status: number | null }) => Promise<T>): Promise<T> {
    const started = performance.now();
    const call = onecCallName(method, path);
    const answer: { status: number | null } = { status: null };
    try {
      const value = await run(answer);
      recordTargetCall({ target: "onec", call, status: answer.status, durationMs: performance.now() - started, attempt });
      return value;
    } catch (error) {
      recordTargetCall({ target: "onec", call, status: answer.status, durationMs: performance.now() - started, attempt, error: String((error as Error)?.message ?? error) });
      throw error;
    }
  }

  async function requestOnce<T>(method: string, path: string, query: Record<string, string | number | undefined>, body: unknown, answer: { status: number | null }): Promise<T> {
    const what = `${method} ${decodeURIComponent(path)}`;
    if (options.limiter) {
      try {
        await options.limiter.acquire();
      } catch (error) {
        throw isSyncError(error) ? error : retryable("ONEC_RATE_LIMITER_UNAVAILABLE", `1c ${what}: no token from the shared rate limiter`, { cause: error });
      }
    }
    const callName = onecCallName(method, path);
    const started = performance.now();
    const observe = (status: number | "timeout" | "network") => observeTargetRequest("onec", callName, status, (performance.now() - started) / 1000);
    return withSpan(`1c ${what}`, { kind: SpanKind.CLIENT, attributes: { "rpc.system": "1c-odata", "http.request.method": method } }, async () => {
      let response: Response;
      try {
        response = await fetch(url(path, query), {
          method,
          headers: {
            authorization: auth,
            accept: "application/json",
            ...(body === undefined ? {} : { "content-type": "application/json; charset=utf-8" }),
            ...traceHeaders(),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        const name = (error as Error).name;
        const timeout = name === "TimeoutError" || name === "AbortError";
        observe(timeout ? "timeout" : "network");
        throw retryable(timeout ? "ONEC_TIMEOUT" : "ONEC_NETWORK", `1c ${what}: ${timeout ? `no answer in ${timeoutMs} ms` : "connection failed"}`);
      }
      const text = await response.text();
      observe(response.status);
      answer.status = response.status;
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      if (!response.ok) {
        const error = classifyOnecError(response.status, parsed as OnecErrorBody | undefined, response.headers.get("retry-after"), what);
        if (response.status === 429) await options.limiter?.reportLimited(error.retryAfterMs).catch(() => undefined);
        throw error;
      }
      return parsed as T;
    });
  }

  return {
    async list(set: string, query: ListQuery = {}): Promise<OnecRecord[]> {
      const reply = await request<{ value: OnecRecord[] }>("GET", encodeURIComponent(set), {
        $filter: query.filter,
        $select: query.select?.join(","),
        $top: query.top,
        $skip: query.skip,
        $orderby: query.orderby,
      });
      return reply.value;
    },
    /** How many records a set holds (with a filter: that match it), from `<Set>/$count`. */
    async count(set: string, filter?: string): Promise<number> {
      return Number(await request<unknown>("GET", `${encodeURIComponent(set)}/$count`, { $filter: filter }));
    },
    async get(set: string, ref: string): Promise<OnecRecord | null> {
      try {
        return await request<OnecRecord>("GET", entityPath(set, ref), {});
      } catch (error) {
        if (isSyncError(error) && error.code === "ONEC_NOT_FOUND") return null;
        throw error;
      }
    },
    create: (set: string, body: Record<string, unknown>) => request<OnecRecord>("POST", encodeURIComponent(set), {}, body),
    patch: async (set: string, ref: string, body: Record<string, unknown>) => request<OnecRecord>("PATCH", entityPath(set, ref), {}, body),
    post: async (set: string, ref: string) => request<unknown>("POST", `${entityPath(set, ref)}/Post`, { PostingModeOperational: "false" }),
    unpost: async (set: string, ref: string) => request<unknown>("POST", `${entityPath(set, ref)}/Unpost`, {}),
  };
}

export type OnecClient = ReturnType<typeof createOnecClient>;
