import { z } from "zod";
import { checkProduction } from "./production";

export { DEMO_SECRETS, MIN_PRODUCTION_SECRET_BYTES, checkProduction, isProduction, plainHttpAllowed } from "./production";
export type { ProductionCheck } from "./production";

/** Marks config fields whose values must never be logged. */
const secretFields = z.registry<{ secret: true }>();

export function secret<T extends z.ZodType>(schema: T): T {
  secretFields.add(schema, { secret: true });
  return schema;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/**
 * Parses environment variables with a zod object whose keys are the variable names.
 * Each problem names the variable and what to fix; values of secret fields are never echoed.
 */
export function loadConfig<T extends z.ZodObject>(schema: T, env: NodeJS.ProcessEnv = process.env): z.infer<T> {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    input[key] = value === "" ? undefined : value;
  }
  const parsed = schema.safeParse(input);
  if (parsed.success) {
    const { problems } = checkProduction(parsed.data as Record<string, unknown>, secretKeys(schema), env);
    if (problems.length > 0) throw new ConfigError(problems);
    return parsed.data;
  }
  const problems = parsed.error.issues.map((issue) => {
    const name = issue.path.length > 0 ? issue.path.join(".") : "(config)";
    return `${name}: ${issue.message}`;
  });
  throw new ConfigError(problems);
}

/** Names of the secret fields of a schema. */
export function secretKeys<T extends z.ZodObject>(schema: T): Set<string> {
  return new Set(Object.entries(schema.shape).filter(([, field]) => secretFields.has(field as z.ZodType)).map(([key]) => key));
}

/** Opt-outs in force (plain http in production), for the start-up log. */
export function insecureSettings<T extends z.ZodObject>(schema: T, config: z.infer<T>, env: NodeJS.ProcessEnv = process.env): string[] {
  return checkProduction(config as Record<string, unknown>, secretKeys(schema), env).warnings;
}

/** A copy of the config with secret fields replaced, safe to log at start-up. */
export function redactConfig<T extends z.ZodObject>(schema: T, config: z.infer<T>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(schema.shape)) {
    const value = (config as Record<string, unknown>)[key];
    // A URL's password (NATS_URL=nats://user:password@host) is redacted even in a field not marked secret.
    const shown = typeof value === "string" ? value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/,\s]*:)[^@/,\s]*@/gi, "$1***@").replace(/(,\s*[a-z][a-z0-9+.-]*:\/\/[^:@/,\s]*:)[^@/,\s]*@/gi, "$1***@") : value;
    out[key] = secretFields.has(field as z.ZodType) && value !== undefined ? "***" : shown;
  }
  return out;
}

/** Values of secret fields, for the logger's masking list. */
export function secretValues<T extends z.ZodObject>(schema: T, config: z.infer<T>): string[] {
  const out: string[] = [];
  for (const [key, field] of Object.entries(schema.shape)) {
    const value = (config as Record<string, unknown>)[key];
    if (secretFields.has(field as z.ZodType) && typeof value === "string" && value.length > 0) out.push(value);
  }
  return out;
}

/** Common building blocks, so every service spells shared variables the same way. */
export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
export const flag = (fallback: boolean) =>
  z
    .enum(["true", "false", "1", "0"])
    .default(fallback ? "true" : "false")
    .transform((v) => v === "true" || v === "1");

/** The DLQ key of the demo and tests; refused in production (see production.ts). */
export const DEMO_DLQ_KEY = "demo-dlq-key-not-for-production";

export const commonConfig = {
  /** NATS server(s), comma-separated; `nats://user:password@host` works too (the password is never logged). */
  NATS_URL: z.string().default("nats://127.0.0.1:4222"),
  /** NATS user and password of this service's account (see infra/nats/accounts.conf). */
  NATS_USER: z.string().optional(),
  NATS_PASSWORD: secret(z.string().optional()),
  /** NATS token authentication (instead of a user). */
  NATS_TOKEN: secret(z.string().optional()),
  /** NATS nkey seed (`SU…`) of this service's user (instead of a password). */
  NATS_NKEY_SEED: secret(z.string().regex(/^SU[A-Z2-7]{56}$/, "an nkey user seed starts with SU (nk -gen user)").optional()),
  /** Path of a NATS `.creds` file (JWT + seed; decentralised auth). */
  NATS_CREDS_FILE: z.string().optional(),
  /** Require TLS to NATS (implied by NATS_TLS_CA_FILE or NATS_TLS_CERT_FILE). */
  NATS_TLS: flag(false),
  /** CA that signed the NATS server's certificate (default: the OS store). */
  NATS_TLS_CA_FILE: z.string().optional(),
  /** Client certificate and key, where the server verifies clients (mutual TLS). */
  NATS_TLS_CERT_FILE: z.string().optional(),
  NATS_TLS_KEY_FILE: z.string().optional(),
  /** Subject/stream namespace; lets deployments (and parallel test runs) share one NATS. */
  CONCORD_NAMESPACE: z
    .string()
    .regex(/^[a-z][a-z0-9_-]{0,31}$/, "use lower-case letters, digits, - or _ (max 32)")
    .default("concord"),
  LOG_LEVEL: z.enum(["error", "warn", "info", "debug"]).default("info"),
  /** Where spans are written as JSON lines (empty: spans are not written to a file). */
  OTEL_TRACES_FILE: z.string().optional(),
  /**
   * An OpenTelemetry collector's OTLP/HTTP receiver (e.g. `http://otel-collector:4318`): spans go
   * to `<endpoint>/v1/traces` as OTLP JSON, in batches, beside the file. Unset: no OTLP export.
   */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  /** The full traces URL, when it is not `<OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces`; wins over it. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url().optional(),
  /** Headers for the collector, `key=value,…` (read by the exporter; may hold an API key: a secret). */
  OTEL_EXPORTER_OTLP_HEADERS: secret(z.string().optional()),
  /**
   * Key that seals (encrypts) the unmasked original of every dead letter, so a retry writes what
   * was sent while the DLQ and PostgreSQL hold no readable secret. The same value in every
   * service (they dead-letter) and the console (it retries). `openssl rand -hex 32`.
   */
  CONCORD_DLQ_KEY: secret(z.string().min(16, "too short: use at least 16 random characters (e.g. $(openssl rand -hex 32))").default(DEMO_DLQ_KEY)),
  /** Earlier DLQ keys, comma-separated: they still open what they sealed (rotation without losing a letter). */
  CONCORD_DLQ_OLD_KEYS: secret(z.string().optional()),
};
