import { z } from "zod";
import { RoleSchema } from "@concord/contracts";
import { commonConfig, port, secret } from "@concord/config";
import { ApiTokensSchema, type ApiToken } from "./tokens";

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
}).refine((c) => c.CONSOLE_ALERTS_FILE === undefined || c.DATABASE_URL !== undefined, {
  message: "CONSOLE_ALERTS_FILE needs DATABASE_URL (the same database as mapping's)",
  path: ["DATABASE_URL"],
});
export type ConsoleConfig = z.infer<typeof consoleConfigSchema>;

/** Every API token the console accepts: CONSOLE_API_TOKEN as `default`, then CONSOLE_API_TOKENS. */
export function apiTokensOf(config: ConsoleConfig): ApiToken[] {
  return [{ name: "default", role: config.CONSOLE_API_TOKEN_ROLE, token: config.CONSOLE_API_TOKEN }, ...(config.CONSOLE_API_TOKENS ?? [])];
}
