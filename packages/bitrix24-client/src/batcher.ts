// Grouping of waiting calls into Bitrix24 `batch` requests: the command-string encoding, the
// split of a batch answer back into per-call answers, and the queue in front of the rate limiter.

/** The limiter a client takes one token from per HTTP request (see @concord/bus createSharedRateLimiter). */
export interface Bitrix24RateLimiter {
  acquire(): Promise<void>;
  /** The portal answered QUERY_LIMIT_EXCEEDED: pause every replica. */
  reportLimited(retryAfterMs?: number): Promise<void>;
}

/** Bitrix24 refuses a batch of more than 50 commands (ERROR_BATCH_LENGTH_EXCEEDED). */
export const BATCH_LIMIT = 50;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;

/**
 * A call as a batch command, `method?a=1&fields[TITLE]=x&select[0]=ID` — PHP http_build_query
 * (nested keys in brackets, list items by index, true/false as 1/0), which the portal reads
 * back with parse_str. Null when the query string cannot carry the params as JSON would, so
 * the call must go alone: a null or an empty array/object (http_build_query drops them, so
 * "clear this field" would silently become "leave it"), a `$result` reference in a value (the
 * portal would substitute it), a key parse_str would read differently (brackets; "." or " " at
 * the top level), or anything that is not plain data.
 */
export function toBatchCommand(method: string, params: Record<string, unknown>): string | null {
  if (!/^[a-z0-9_.]+$/i.test(method) || method.toLowerCase() === "batch") return null;
  const pairs: string[] = [];
  const add = (key: string, value: unknown): boolean => {
    if (value === undefined) return true; // JSON.stringify drops it too
    if (typeof value === "string") {
      if (value.includes("$result")) return false;
      pairs.push(`${key}=${encodeURIComponent(value)}`);
      return true;
    }
    if (typeof value === "number") {
      if (!Number.isFinite(value)) return false;
      pairs.push(`${key}=${encodeURIComponent(String(value))}`); // "1e+21": a raw "+" reads as a space
      return true;
    }
    if (typeof value === "boolean") {
      pairs.push(`${key}=${value ? "1" : "0"}`);
      return true;
    }
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : isPlainObject(value) ? Object.entries(value) : null;
    if (entries === null || entries.length === 0) return false;
    return entries.every(([k, v]) => !/[[\]]/.test(k) && add(`${key}[${encodeURIComponent(k)}]`, v));
  };
  for (const [key, value] of Object.entries(params)) {
    // parse_str would turn a top-level "." or " " into "_".
    if (key === "" || /[[\]. ]/.test(key) || !add(encodeURIComponent(key), value)) return null;
  }
  return pairs.length === 0 ? method : `${method}?${pairs.join("&")}`;
}

/** One command's share of a batch answer: the body its plain call would have had, or its error. */
export type BatchPart =
  | { ok: true; body: { result: unknown; total?: unknown; next?: unknown; time?: unknown } }
  | { ok: false; error: { error: string; error_description: string } }
  | { ok: false; error: null };

/** A section of the answer by key; PHP sends an empty section as `[]`. */
const section = (value: unknown): Record<string, unknown> => (isPlainObject(value) ? value : {});

/**
 * Splits `{result:{result, result_error, result_total, result_next, result_time}}` by command key.
 * Null when the answer does not have that shape; `error: null` for a key found in neither
 * `result` nor `result_error` (the portal stopped before it).
 */
export function splitBatchAnswer(body: unknown, keys: readonly string[]): Map<string, BatchPart> | null {
  if (!isPlainObject(body) || !isPlainObject(body.result)) return null;
  const outer = body.result;
  const [results, errors, totals, nexts, times] = [outer.result, outer.result_error, outer.result_total, outer.result_next, outer.result_time].map(section) as [
    Record<string, unknown>,
    Record<string, unknown>,
    Record<string, unknown>,
    Record<string, unknown>,
    Record<string, unknown>,
  ];
  const parts = new Map<string, BatchPart>();
  for (const key of keys) {
    if (key in errors) {
      const e = section(errors[key]);
      parts.set(key, { ok: false, error: { error: String(e.error ?? ""), error_description: String(e.error_description ?? "") } });
    } else if (key in results) {
      const part: { result: unknown; total?: unknown; next?: unknown; time?: unknown } = { result: results[key] };
      if (key in totals) part.total = totals[key];
      if (key in nexts) part.next = nexts[key];
      if (key in times) part.time = times[key];
      parts.set(key, { ok: true, body: part });
    } else {
      parts.set(key, { ok: false, error: null });
    }
  }
  return parts;
}

/**
 * The HTTP status the same error has as a plain call (a batch answers 200 and gives only the
 * code), so a command's error classifies exactly like the plain call's would.
 */
export function plainStatusOf(code: string): number {
  switch (code) {
    case "QUERY_LIMIT_EXCEEDED":
    case "OVERLOAD_LIMIT":
      return 503;
    case "OPERATION_TIME_LIMIT":
      return 429;
    case "NO_AUTH_FOUND":
    case "expired_token":
    case "invalid_token":
      return 401;
    case "insufficient_scope":
    case "INVALID_CREDENTIALS":
    case "ACCESS_DENIED":
      return 403;
    case "ERROR_METHOD_NOT_FOUND":
      return 404;
    case "ERROR_BATCH_METHOD_NOT_ALLOWED":
      return 405;
    case "INTERNAL_SERVER_ERROR":
      return 500;
    default:
      // "" (Not found, ID is not defined or invalid…), ERROR_CORE, INVALID_REQUEST…
      return 400;
  }
}

export interface QueuedCall {
  method: string;
  params: Record<string, unknown>;
  /** The batch command, or null when the call must go alone. */
  command: string | null;
}

export type CallOutcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * The next request's calls, oldest first: the oldest call, and when it can be batched, up to
 * `batchMax` - 1 more batchable ones (a call that must go alone waits for its own token).
 */
export function takeGroup<T extends QueuedCall>(queue: T[], batchMax: number): T[] {
  const first = queue.shift();
  if (!first) return [];
  const group = [first];
  if (first.command === null) return group;
  for (let i = 0; i < queue.length && group.length < batchMax; ) {
    if ((queue[i] as T).command === null) i++;
    else group.push(queue.splice(i, 1)[0] as T);
  }
  return group;
}

type Turn<T> = { kind: "lead"; group: T[] } | { kind: "done"; outcome: CallOutcome };
type Waiting = QueuedCall & { settle(turn: Turn<Waiting>): void };

export interface CallQueueOptions {
  limiter: Bitrix24RateLimiter;
  batchMax: number;
  /** One call as a plain request. */
  sendOne(call: QueuedCall): Promise<unknown>;
  /** Several calls as one `batch` request: an outcome per call, in order; never rejects. */
  sendBatch(calls: QueuedCall[]): Promise<CallOutcome[]>;
  /** The error a call fails with when no token could be taken. */
  limiterFailed(error: unknown, call: QueuedCall): unknown;
}

/**
 * Calls wait here for a token. Each token sends the oldest waiting call — with up to
 * `batchMax` - 1 others when more are waiting, as one `batch` — so calls are batched exactly
 * when a backlog exists. The first call of a group sends the request itself, in its own async
 * context (its span is the parent of the request's), and hands the others their outcomes.
 */
export function createCallQueue(options: CallQueueOptions) {
  const queue: Waiting[] = [];
  let pumping = false;

  const pump = async () => {
    if (pumping) return;
    pumping = true;
    try {
      while (queue.length > 0) {
        try {
          await options.limiter.acquire();
        } catch (error) {
          for (const call of queue.splice(0)) call.settle({ kind: "done", outcome: { ok: false, error: options.limiterFailed(error, call) } });
          continue;
        }
        const group = takeGroup(queue, options.batchMax);
        group[0]?.settle({ kind: "lead", group });
      }
    } finally {
      pumping = false;
    }
  };

  const sendGroup = async (group: Waiting[]): Promise<unknown> => {
    const [own, ...others] = group as [Waiting, ...Waiting[]];
    if (others.length === 0) return options.sendOne(own);
    let outcomes: CallOutcome[];
    try {
      outcomes = await options.sendBatch(group);
    } catch (error) {
      outcomes = group.map(() => ({ ok: false, error }));
    }
    others.forEach((call, i) => call.settle({ kind: "done", outcome: outcomes[i + 1] ?? { ok: false, error: new Error("batch answer missing") } }));
    const mine = outcomes[0] as CallOutcome;
    if (mine.ok) return mine.value;
    throw mine.error;
  };

  return {
    /** Waits for a token, then sends the call alone or in a batch; resolves with its own answer. */
    async run(call: QueuedCall): Promise<unknown> {
      const turn = await new Promise<Turn<Waiting>>((settle) => {
        queue.push({ ...call, settle });
        void pump();
      });
      if (turn.kind === "lead") return sendGroup(turn.group);
      if (turn.outcome.ok) return turn.outcome.value;
      throw turn.outcome.error;
    },
  };
}
