import { z } from "zod";
import { RoleSchema } from "@concord/contracts";
import { commonConfig, port, secret } from "@concord/config";
import { ApiTokensSchema, type ApiToken } from "./tokens";
import { ConsoleUsersSchema } from "./web/users";

const validTimeZone = (zone: string) => {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};
const optionalUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional();

/** Console configuration: one variable per key, parsed once in main.ts (runService). */
export const consoleConfigSchema = z.object({
  ...commonConfig,
  /** Interface the HTTP API binds to; keep it on loopback or behind a TLS proxy. */
  CONSOLE_HOST: z.string().min(1).default("127.0.0.1"),
  /** Port of the operations API and /healthz, /readyz (0: any free port). */
  CONSOLE_PORT: port(7420),
  /** Bearer token every /api request must carry (`Authorization: Bearer <token>`). */
  CONSOLE_API_TOKEN: secret(
    z
      .string({ error: (issue) => (issue.input === undefined ? "required: the API token for `Authorization: Bearer` (e.g. $(openssl rand -hex 24))" : "must be text") })
      .min(16, "too short: use at least 16 random characters (e.g. $(openssl rand -hex 24))"),
  ),
  /** The role of CONSOLE_API_TOKEN (named `default` in the audit trail): viewer, operator or admin. */
  CONSOLE_API_TOKEN_ROLE: RoleSchema.default("admin"),
  /**
   * More API tokens, each named and with a role: `name:role:token`, comma-separated (e.g.
   * `alice:operator:<token>,dashboard:viewer:<token>`). The name is recorded in the audit trail.
   */
  CONSOLE_API_TOKENS: secret(ApiTokensSchema.optional()),
  /** How long to wait for mapping's dlq.* replies. */
  CONSOLE_RPC_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /**
   * The alerts file (rules and channels, e.g. config/concord.alerts.yaml; docs/alerts.md). Unset:
   * no alerts are evaluated and GET /api/alerts answers 404. Needs DATABASE_URL.
   */
  CONSOLE_ALERTS_FILE: z.string().min(1).optional(),
  /** PostgreSQL, for alerts: the evaluator reads dead letters, decisions and the exchange log, and keeps alert state. */
  DATABASE_URL: secret(z.string().startsWith("postgres", "must be a postgres:// or postgresql:// URL").optional()),
  /** Schema that holds Concord's tables (as mapping's DATABASE_SCHEMA). */
  DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "lower-case identifier").default("concord"),
  /**
   * People who may sign in to the web console: `name:role:bcrypt-hash`, comma-separated (make a
   * hash with `pnpm concord users hash`). Unset: no web pages, the API only. Needs DATABASE_URL.
   */
  CONSOLE_USERS: secret(ConsoleUsersSchema.optional()),
  /** The time zone the web console shows times in (an IANA name, e.g. Europe/Moscow). */
  CONSOLE_TIME_ZONE: z.string().refine(validTimeZone, "not an IANA time zone (e.g. Europe/Moscow, UTC)").default("UTC"),
  /** Session cookies marked Secure (browsers keep them on https and on http://localhost); false only behind no TLS at all. */
  CONSOLE_COOKIE_SECURE: z.enum(["true", "false"]).default("true").transform((v) => v === "true"),
  /** A web session ends after this many minutes without a request (and after 12 h in any case). */
  CONSOLE_SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).max(720).default(60),
  /** Bitrix24 portal for links from the console (e.g. https://example.bitrix24.ru). */
  CONSOLE_BITRIX24_URL: optionalUrl,
  /** 1C web client for links from the console (e.g. https://1c.example.ru/ut11). */
  CONSOLE_ONEC_URL: optionalUrl,
  /** A trace viewer's URL with {traceId} (e.g. http://jaeger:16686/trace/{traceId}). */
  CONSOLE_TRACE_URL: z.string().regex(/^https?:\/\/\S*\{traceId\}\S*$/, "an http(s) URL containing {traceId}").optional(),
})
  .refine((c) => c.CONSOLE_ALERTS_FILE === undefined || c.DATABASE_URL !== undefined, {
    message: "CONSOLE_ALERTS_FILE needs DATABASE_URL (the same database as mapping's)",
    path: ["DATABASE_URL"],
  })
  .refine((c) => c.CONSOLE_USERS === undefined || c.DATABASE_URL !== undefined, {
    message: "CONSOLE_USERS (the web console) needs DATABASE_URL: its pages read the exchange log",
    path: ["DATABASE_URL"],
  });
export type ConsoleConfig = z.infer<typeof consoleConfigSchema>;

/** Every API token the console accepts: CONSOLE_API_TOKEN as `default`, then CONSOLE_API_TOKENS. */
export function apiTokensOf(config: ConsoleConfig): ApiToken[] {
  return [{ name: "default", role: config.CONSOLE_API_TOKEN_ROLE, token: config.CONSOLE_API_TOKEN }, ...(config.CONSOLE_API_TOKENS ?? [])];
}
