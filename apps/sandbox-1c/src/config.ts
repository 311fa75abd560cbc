import { z } from "zod";
import { isValidTimeZone } from "./local-time";

/** Environment of the 1C sandbox. Parsed in main (never at import); secrets are never logged. */

const DEFAULT_SECRET = "whsec_c2FuZGJveC0xYy1ub3RpZnktc2VjcmV0LTMyYnl0ZXMhIQ==";

export const EnvSchema = z.object({
  /** TCP port of the OData service and admin API. */
  ONEC_SANDBOX_PORT: z.coerce.number().int().min(0).max(65535).default(7402),
  /** Listen address; keep loopback — the admin API has no auth. */
  ONEC_SANDBOX_HOST: z.string().min(1).default("127.0.0.1"),
  /** Publication name: service root is http://HOST:PORT/<base>/odata/standard.odata/ */
  ONEC_SANDBOX_BASE: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, "ONEC_SANDBOX_BASE must be letters, digits, _ or - (it is a URL path segment)")
    .default("trade"),
  /** HTTP Basic user of the publication. */
  ONEC_SANDBOX_USER: z.string().min(1).default("concord"),
  /** HTTP Basic password (secret). */
  ONEC_SANDBOX_PASSWORD: z.string().min(1).default("sandbox-1c-password"),
  /** Where change notifications are POSTed; empty turns them off. */
  ONEC_SANDBOX_NOTIFY_URL: z
    .string()
    .default("http://127.0.0.1:7400/webhooks/1c")
    .refine((v) => v === "" || /^https?:\/\/.+/.test(v), "ONEC_SANDBOX_NOTIFY_URL must be an http(s) URL or empty"),
  /** Standard Webhooks secret `whsec_<base64 key>` (secret). */
  ONEC_SANDBOX_NOTIFY_SECRET: z
    .string()
    .default(DEFAULT_SECRET)
    .refine((v) => {
      if (!v.startsWith("whsec_")) return false;
      const b64 = v.slice("whsec_".length);
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return false;
      const len = Buffer.from(b64, "base64").length;
      return len >= 24 && len <= 64;
    }, "ONEC_SANDBOX_NOTIFY_SECRET must be whsec_ + base64 of 24..64 bytes (e.g. whsec_$(openssl rand -base64 32))"),
  /** Seed for fault injection (deterministic when set). */
  ONEC_SANDBOX_SEED: z.preprocess((v) => (v === "" ? undefined : v), z.coerce.number().int().optional()),
  /** IANA zone of the base: its "local time" (new documents' Date, operational posting's "today"). */
  ONEC_SANDBOX_TIME_ZONE: z
    .string()
    .default("Europe/Moscow")
    .refine(isValidTimeZone, "ONEC_SANDBOX_TIME_ZONE must be an IANA time zone name, e.g. Europe/Moscow or Asia/Yekaterinburg"),
  /** "1": Concord's 1C extension with its version check is installed (docs/1c); PUT /admin/extension changes it at run time. */
  ONEC_SANDBOX_VERSION_CHECK: z.enum(["", "0", "1"], { message: "ONEC_SANDBOX_VERSION_CHECK must be 1 (on), 0 or empty (off)" }).default(""),
  /** "1" logs one JSON line per request to stdout. */
  SANDBOX_LOG: z.string().optional(),
});

export interface SandboxConfig {
  port: number;
  host: string;
  base: string;
  user: string;
  password: string;
  notifyUrl: string | null;
  notifySecret: string;
  seed: number | undefined;
  /** IANA zone of the base's wall time. */
  timeZone: string;
  /** The extension's version check is installed at start. */
  versionCheck: boolean;
  log: boolean;
  /** Notification retry tuning (the 1C job's schedule); not in env, tests shorten it. */
  notify: { backoffBaseMs: number; backoffMaxMs: number; maxAttempts: number; requestTimeoutMs: number };
}

export const DEFAULT_NOTIFY_TUNING: SandboxConfig["notify"] = { backoffBaseMs: 200, backoffMaxMs: 10_000, maxAttempts: 20, requestTimeoutMs: 10_000 };

export type ConfigResult = { ok: true; value: SandboxConfig } | { ok: false; error: string };

export function parseConfig(env: Record<string, string | undefined>): ConfigResult {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const error = parsed.error.issues.map((i) => `${i.path.join(".") || "env"}: ${i.message}`).join("; ");
    return { ok: false, error };
  }
  const e = parsed.data;
  return {
    ok: true,
    value: {
      port: e.ONEC_SANDBOX_PORT,
      host: e.ONEC_SANDBOX_HOST,
      base: e.ONEC_SANDBOX_BASE,
      user: e.ONEC_SANDBOX_USER,
      password: e.ONEC_SANDBOX_PASSWORD,
      notifyUrl: e.ONEC_SANDBOX_NOTIFY_URL === "" ? null : e.ONEC_SANDBOX_NOTIFY_URL,
      notifySecret: e.ONEC_SANDBOX_NOTIFY_SECRET,
      seed: e.ONEC_SANDBOX_SEED,
      timeZone: e.ONEC_SANDBOX_TIME_ZONE,
      versionCheck: e.ONEC_SANDBOX_VERSION_CHECK === "1",
      log: e.SANDBOX_LOG === "1",
      notify: { ...DEFAULT_NOTIFY_TUNING },
    },
  };
}

/** Config with secrets replaced, for a start-up log line. */
export function redactConfig(config: SandboxConfig): Record<string, unknown> {
  return { ...config, password: "***", notifySecret: "***" };
}
