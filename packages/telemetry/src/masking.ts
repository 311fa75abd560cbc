/**
 * Secret masking for everything that leaves a process as text: logs, span attributes,
 * exchange-log rows, dead letters shown to people, error messages. It masks only what is a
 * secret — never business text that merely mentions one ("Password: reset", "Bearer of the
 * news", a path `/rest/1/x/` in a comment), and never a short value that could be a number:
 *
 * 1. known secret values (from configuration) of at least 8 characters, and their URL-encoded
 *    and base64 forms;
 * 2. credentials inside URLs: `user:password@`, the token of a Bitrix24 webhook URL
 *    (`https://host/rest/<user>/<token>/`), `auth[application_token]=` parameters — also when
 *    the URL is JSON-escaped (`https:\/\/…`) or percent-encoded (`https%3A%2F%2F…`);
 * 3. credentials in headers: `Authorization: Basic|Bearer …` (any case, also as a JSON field),
 *    Standard Webhooks secrets (`whsec_…`) and signatures (`v1,…`);
 * 4. in structured values, fields whose name says secret (`password`, `token`, …).
 */
const MASK = "***";
/** Shorter known values are not masked by value: `1234` must not rewrite every number. */
export const MIN_SECRET_LENGTH = 8;
/** Deeper than this, structured values are not walked but replaced (a deep object must not escape masking). */
const MAX_DEPTH = 12;

const SECRET_KEY =
  /^(password|passwd|pass|pwd|token|secret|authorization|proxy-authorization|cookie|set-cookie|application_token|access_token|refresh_token|api_key|apikey|api_token|client_secret|webhook_secret|private_key|nkey|nkey_seed|seed|creds)$/i;
/** Secret-named keys as they appear in config and env (`ONEC_PASSWORD`, `CONSOLE_API_TOKEN`, `NATS_NKEY_SEED`). */
const SECRET_KEY_SUFFIX = /(_|-)(password|passwd|token|tokens|secret|seed|creds|api_key|private_key|dlq_key|dlq_keys)$/i;

/** Separators of a URL written as-is, JSON-escaped (`\/`) or percent-encoded (`%2F`). */
const SLASH = String.raw`(?:\/|\\\/|%2F)`;
const COLON = String.raw`(?::|%3A)`;

const PATTERNS: Array<[RegExp, string]> = [
  // Bitrix24 inbound webhook URL: <scheme>://<host>/rest/<user>/<token>/
  [new RegExp(String.raw`(\bhttps?${COLON}${SLASH}${SLASH}[^\s"'<>]*?${SLASH}rest${SLASH}\d+${SLASH})[^\s"'<>/\\%?&]+`, "gi"), `$1${MASK}`],
  // user:password@ in URLs (postgres://, nats://, http://), also JSON-escaped
  [/(\b[a-z][a-z0-9+.-]*:(?:\/|\\\/){2}[^:/@\s"'\\]+:)[^@\s/"'\\]+@/gi, `$1${MASK}@`],
  // the same URL percent-encoded: user%3Apassword%40
  [/(\b[a-z][a-z0-9+.-]*%3A%2F%2F[^\s"'&]*?%3A)[^\s"'&]+?%40/gi, `$1${MASK}%40`],
  // auth[application_token]=..., auth[access_token]=... (form bodies, URLs)
  [/(auth(?:\[|%5B)(?:application_token|access_token|refresh_token)(?:\]|%5D)=)[^&\s"']+/gi, `$1${MASK}`],
  // Authorization header values: `Authorization: Basic x`, `"authorization":"bearer x"`
  [/(\b(?:proxy-)?authorization\b"?\s*[:=]\s*"?\s*(?:basic|bearer|token|nkey)\s+)[^\s"',;]+/gi, `$1${MASK}`],
  // Standard Webhooks signature and secrets
  [/\bv1,[A-Za-z0-9+/=]{20,}/g, `v1,${MASK}`],
  [/\bwhsec_[A-Za-z0-9+/=]+/g, `whsec_${MASK}`],
  // NATS nkey seeds (`SU…`, `SA…`, `SO…`) and creds-file JWT blocks
  [/\bS[UAO][A-Z2-7]{56}\b/g, MASK],
];

export interface Masker {
  text(value: string): string;
  value<T>(value: T): T;
  /** A field of a structured value: masked whole when its name says secret. */
  field(key: string, value: unknown): unknown;
  /** Adds known secrets at run time (e.g. after config is loaded). */
  addSecrets(secrets: readonly string[]): void;
}

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) || SECRET_KEY_SUFFIX.test(key);
}

function variants(secret: string): string[] {
  const out = new Set([secret, encodeURIComponent(secret), Buffer.from(secret).toString("base64"), JSON.stringify(secret).slice(1, -1)]);
  return [...out].filter((s) => s.length >= MIN_SECRET_LENGTH);
}

export function createMasker(secrets: readonly string[] = []): Masker {
  const known = new Set<string>();
  let ordered: string[] = [];
  const addSecrets = (list: readonly string[]) => {
    for (const s of list) if (typeof s === "string" && s.length >= MIN_SECRET_LENGTH) for (const v of variants(s)) known.add(v);
    ordered = [...known].sort((a, b) => b.length - a.length);
  };
  addSecrets(secrets);

  const text = (input: string): string => {
    let out = input;
    for (const secret of ordered) if (out.includes(secret)) out = out.split(secret).join(MASK);
    for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
    return out;
  };

  const errorValue = (error: Error, depth: number): Record<string, unknown> => {
    const out: Record<string, unknown> = { name: error.name, message: text(error.message) };
    const extra = error as Error & { code?: unknown; kind?: unknown; cause?: unknown };
    if (extra.code !== undefined) out.code = value(extra.code, depth + 1);
    if (extra.kind !== undefined) out.kind = value(extra.kind, depth + 1);
    if (typeof error.stack === "string") out.stack = text(error.stack);
    if (extra.cause !== undefined) out.cause = value(extra.cause, depth + 1);
    return out;
  };

  const value = <T>(input: T, depth = 0): T => {
    if (typeof input === "string") return text(input) as T;
    if (input === null || typeof input !== "object") return input;
    if (depth > MAX_DEPTH) return "[too deep]" as T;
    if (input instanceof Error) return errorValue(input, depth) as T;
    if (Array.isArray(input)) return input.map((v) => value(v, depth + 1)) as T;
    if (input instanceof Date) return input;
    if (Buffer.isBuffer(input) || input instanceof Uint8Array) return text(Buffer.from(input).toString("utf8")) as T;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(input as Record<string, unknown>)) out[k] = field(k, v, depth + 1);
    return out as T;
  };

  const field = (key: string, v: unknown, depth = 0): unknown =>
    isSecretKey(key) && v !== null && v !== undefined && v !== "" && typeof v !== "boolean" ? MASK : value(v, depth);

  return { text, value: (v) => value(v), field: (k, v) => field(k, v), addSecrets };
}

/** The process-wide masker: the logger, HTTP clients and the DLQ all use it. */
export const masker = createMasker();
