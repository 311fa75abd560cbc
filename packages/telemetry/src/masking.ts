/**
 * Secret masking for everything that leaves a process as text: logs, span attributes,
 * exchange-log rows, dead letters, error messages. Two layers: known secret values (and
 * their URL-encoded and base64 forms) and patterns that carry secrets by shape.
 */
const MASK = "***";

const SECRET_KEY = /^(password|passwd|pass|token|secret|authorization|application_token|access_token|refresh_token|api_key|apikey)$/i;

const PATTERNS: Array<[RegExp, string]> = [
  // Bitrix24 inbound webhook: /rest/<user>/<token>/<method>
  [/(\/rest\/\d+\/)[^/\s"'?]+/g, `$1${MASK}`],
  // auth[application_token]=..., auth[access_token]=... (form bodies, URLs)
  [/(auth(?:\[|%5B)(?:application_token|access_token|refresh_token)(?:\]|%5D)=)[^&\s"']+/gi, `$1${MASK}`],
  // HTTP Authorization header values
  [/\b(Basic|Bearer)\s+[A-Za-z0-9+/=._~-]{6,}/g, `$1 ${MASK}`],
  // user:password@ in URLs (postgres://, nats://, http://)
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]+:)[^@\s/]+@/gi, `$1${MASK}@`],
  // key=value and "key": "value" pairs whose name says secret
  [/\b(password|passwd|token|secret|application_token|access_token|api_key)("?\s*[=:]\s*"?)[^&\s"',;]+/gi, `$1$2${MASK}`],
  // Standard Webhooks signature and secrets
  [/\bv1,[A-Za-z0-9+/=]{20,}/g, `v1,${MASK}`],
  [/\bwhsec_[A-Za-z0-9+/=]+/g, `whsec_${MASK}`],
];

export interface Masker {
  text(value: string): string;
  value<T>(value: T): T;
  /** Adds known secrets at run time (e.g. after config is loaded). */
  addSecrets(secrets: readonly string[]): void;
}

function variants(secret: string): string[] {
  const out = new Set([secret, encodeURIComponent(secret), Buffer.from(secret).toString("base64")]);
  return [...out].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
}

export function createMasker(secrets: readonly string[] = []): Masker {
  const known: string[] = [];
  const addSecrets = (list: readonly string[]) => {
    for (const s of list) if (s && s.length >= 4) known.push(...variants(s));
    known.sort((a, b) => b.length - a.length);
  };
  addSecrets(secrets);

  const text = (input: string): string => {
    let out = input;
    for (const secret of known) if (out.includes(secret)) out = out.split(secret).join(MASK);
    for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
    return out;
  };

  const value = <T>(input: T, depth = 0): T => {
    if (typeof input === "string") return text(input) as T;
    if (input === null || typeof input !== "object" || depth > 8) return input;
    if (input instanceof Error) return input;
    if (Array.isArray(input)) return input.map((v) => value(v, depth + 1)) as T;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(input as Record<string, unknown>)) {
      out[k] = SECRET_KEY.test(k) && v !== null && v !== undefined && v !== "" ? MASK : value(v, depth + 1);
    }
    return out as T;
  };

  return { text, value: (v) => value(v), addSecrets };
}

/** The process-wide masker: the logger, HTTP clients and the DLQ all use it. */
export const masker = createMasker();
