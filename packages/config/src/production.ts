/**
 * Production mode (`NODE_ENV=production` or `CONCORD_ENV=production`) refuses settings that are
 * fine for the demo and dangerous anywhere else: the secrets shipped in `.env.example`, any
 * secret under 16 bytes, and plain `http://` to Bitrix24, 1C or the console. Plain http on a
 * private network is allowed only by the explicit `CONCORD_ALLOW_PLAIN_HTTP=true`, which every
 * service logs at start.
 */

/** Every secret value shipped in `.env.example` and the demo (some are parts of URLs). */
export const DEMO_SECRETS = [
  "demo-application-token",
  "demo-console-token",
  "demo-webhook-token",
  "demo-1c-password",
  "demo-dlq-key-not-for-production",
  "whsec_ZGVtby0xYy1ub3RpZmljYXRpb24tc2VjcmV0LTMyYg==",
] as const;

/** Shortest secret accepted in production, in bytes. */
export const MIN_PRODUCTION_SECRET_BYTES = 16;

export function isProduction(env: NodeJS.ProcessEnv): boolean {
  return env.NODE_ENV === "production" || env.CONCORD_ENV === "production";
}

export function plainHttpAllowed(env: NodeJS.ProcessEnv): boolean {
  return env.CONCORD_ALLOW_PLAIN_HTTP === "true" || env.CONCORD_ALLOW_PLAIN_HTTP === "1";
}

/** Variables that hold the address of Bitrix24, 1C or the console. */
const TARGET_URL = /(^B24_WEBHOOK_URL$|^ONEC_ODATA_URL$|^CONCORD_CONSOLE_URL$|_URL$|_ROOT$|_BASE$)/;
const isSecretUrl = (value: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(value);

export interface ProductionCheck {
  /** What production refuses (each names the variable and the fix). */
  problems: string[];
  /** What is allowed only by an explicit opt-out, to be logged at start. */
  warnings: string[];
}

/**
 * Checks a parsed config for production. `secrets` names the secret variables (their values
 * are never echoed); `values` holds every variable's parsed value.
 */
export function checkProduction(values: Record<string, unknown>, secrets: ReadonlySet<string>, env: NodeJS.ProcessEnv): ProductionCheck {
  const problems: string[] = [];
  const warnings: string[] = [];
  if (!isProduction(env)) return { problems, warnings };
  for (const [key, value] of Object.entries(values)) {
    if (typeof value !== "string" || value === "") continue;
    if (secrets.has(key)) {
      if (DEMO_SECRETS.some((demo) => value === demo || value.includes(demo))) {
        problems.push(`${key}: is (or contains) a demo value shipped with Concord; production needs its own secret (e.g. $(openssl rand -hex 32))`);
      } else if (!isSecretUrl(value) && Buffer.byteLength(value, "utf8") < MIN_PRODUCTION_SECRET_BYTES) {
        problems.push(`${key}: shorter than ${MIN_PRODUCTION_SECRET_BYTES} bytes; production needs a longer secret`);
      }
    }
    if (TARGET_URL.test(key) && /^http:\/\//i.test(value)) {
      if (plainHttpAllowed(env)) warnings.push(`${key} uses plain http:// (allowed by CONCORD_ALLOW_PLAIN_HTTP on a private network)`);
      else problems.push(`${key}: plain http:// is refused in production; use https:// (or, on a private network only, set CONCORD_ALLOW_PLAIN_HTTP=true)`);
    }
  }
  return { problems, warnings };
}
