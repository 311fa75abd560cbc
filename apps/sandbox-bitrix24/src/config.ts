// Configuration from the environment, parsed once in main (never at import).

import { z } from "zod";

const emptyToUndefined = (v: unknown): unknown => (typeof v === "string" && v.trim() === "" ? undefined : v);
const optionalNumber = <T extends z.ZodType>(schema: T) => z.preprocess(emptyToUndefined, schema);

const httpUrl = z
  .string()
  .refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === "http:" || u.protocol === "https:";
    } catch {
      return false;
    }
  }, "must be an http(s) URL, or empty for no handler");

export const envSchema = z.object({
  /** TCP port of the sandbox (0 = any free port). */
  B24_SANDBOX_PORT: optionalNumber(z.coerce.number().int().min(0).max(65_535).default(7401)),
  /** Interface to bind; loopback by default because the admin API has no auth. */
  B24_SANDBOX_HOST: optionalNumber(z.string().min(1).default("127.0.0.1")),
  /** User id in the inbound webhook path /rest/<user>/<token>/. */
  B24_SANDBOX_USER_ID: optionalNumber(z.coerce.number().int().positive().default(1)),
  /** Secret. The inbound webhook code in /rest/<user>/<token>/. */
  B24_SANDBOX_WEBHOOK_TOKEN: optionalNumber(z.string().regex(/^[^/\s]+$/, "must not contain '/' or spaces").default("sandbox-webhook-token")),
  /** Secret. Sent as auth[application_token] with every outbound event. */
  B24_SANDBOX_APPLICATION_TOKEN: optionalNumber(z.string().min(1).default("sandbox-app-token")),
  /** Handler bound at start to every CRM event; empty string = no handler. */
  B24_SANDBOX_EVENT_HANDLER: z.union([z.literal(""), httpUrl]).default("http://127.0.0.1:7400/webhooks/bitrix24"),
  /** Leaky bucket size (requests). Standard plans: 50; Enterprise: 250. */
  B24_SANDBOX_RATE_CAPACITY: optionalNumber(z.coerce.number().positive().default(50)),
  /** Leaky bucket drain (requests per second). Standard plans: 2; Enterprise: 5. */
  B24_SANDBOX_RATE_DRAIN_PER_SEC: optionalNumber(z.coerce.number().positive().default(2)),
  /** Seed for fault injection; random when unset. */
  B24_SANDBOX_SEED: optionalNumber(z.coerce.number().int().optional()),
  /** Portal domain used in auth[domain] and endpoints. */
  B24_SANDBOX_PORTAL_DOMAIN: optionalNumber(z.string().min(1).default("sandbox.bitrix24.local")),
  /** Outbound event handler timeout (ms); a slower handler loses the event. */
  B24_SANDBOX_EVENT_TIMEOUT_MS: optionalNumber(z.coerce.number().int().positive().default(5000)),
  /** 1 = one JSON line per request on stdout. */
  SANDBOX_LOG: optionalNumber(z.enum(["0", "1", "true", "false"]).default("0")),
});

export interface SandboxConfig {
  port: number;
  host: string;
  userId: number;
  /** Secret: never logged. */
  webhookToken: string;
  /** Secret: never logged. */
  applicationToken: string;
  /** null = no handler bound at start. */
  eventHandlerUrl: string | null;
  rateCapacity: number;
  rateDrainPerSec: number;
  seed: number | undefined;
  portalDomain: string;
  eventTimeoutMs: number;
  log: boolean;
}

export type ConfigResult = { ok: true; value: SandboxConfig } | { ok: false; error: string };

export function parseConfig(env: Record<string, string | undefined>): ConfigResult {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join(".") || "(env)"}: ${i.message}`);
    return { ok: false, error: `Invalid sandbox-bitrix24 configuration:\n  ${lines.join("\n  ")}` };
  }
  const e = parsed.data;
  return {
    ok: true,
    value: {
      port: e.B24_SANDBOX_PORT,
      host: e.B24_SANDBOX_HOST,
      userId: e.B24_SANDBOX_USER_ID,
      webhookToken: e.B24_SANDBOX_WEBHOOK_TOKEN,
      applicationToken: e.B24_SANDBOX_APPLICATION_TOKEN,
      eventHandlerUrl: e.B24_SANDBOX_EVENT_HANDLER === "" ? null : e.B24_SANDBOX_EVENT_HANDLER,
      rateCapacity: e.B24_SANDBOX_RATE_CAPACITY,
      rateDrainPerSec: e.B24_SANDBOX_RATE_DRAIN_PER_SEC,
      seed: e.B24_SANDBOX_SEED,
      portalDomain: e.B24_SANDBOX_PORTAL_DOMAIN,
      eventTimeoutMs: e.B24_SANDBOX_EVENT_TIMEOUT_MS,
      log: e.SANDBOX_LOG === "1" || e.SANDBOX_LOG === "true",
    },
  };
}

/** Defaults with overrides; handy for tests (`port: 0`). */
export function defaultConfig(overrides: Partial<SandboxConfig> = {}): SandboxConfig {
  const parsed = parseConfig({});
  if (!parsed.ok) throw new Error(parsed.error);
  return { ...parsed.value, ...overrides };
}

/** The config with secrets redacted, safe to log or to show on the admin API. */
export function redactConfig(config: SandboxConfig): Record<string, unknown> {
  return { ...config, webhookToken: "***", applicationToken: "***" };
}
