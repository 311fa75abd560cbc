import { z } from "zod";
import { commonConfig, flag, port, secret } from "@concord/config";

const DAY_MS = 86_400_000;

export const resolverConfigSchema = z.object({
  ...commonConfig,
  /**
   * Bitrix24 stamps events in whole seconds, so two edits in one second share a dedupe id.
   * The resolver reads a deal no earlier than the end of the event's second plus this margin,
   * so the one processed event sees every edit of that second.
   */
  RESOLVER_SETTLE_MS: z.coerce.number().int().min(0).max(10_000).default(500),
  /** The sync policy (flows, ownership, status maps, deletes); default config/concord.policy.yaml. */
  POLICY_FILE: z.string().optional(),
  /**
   * Refuse to start unless every entity an enabled flow touches has had its backfill applied or
   * explicitly skipped (`concord backfill --apply` / `--skip`; docs/rollout.md). On in production.
   */
  RESOLVER_REQUIRE_BACKFILL: flag(false),
  RESOLVER_HOST: z.string().default("127.0.0.1"),
  /** Port of /healthz and /readyz. */
  RESOLVER_HEALTH_PORT: port(7410),
  /**
   * The scheduled reconcile (`concord reconcile` inside the service): every confirmed pair of
   * RECONCILE_ENTITIES compared once per interval, by one replica (a round claimed in NATS KV).
   * 0, the default, is off: an order pair costs about 4 portal requests at the portal's 2/s, so a
   * run over tens of thousands of orders takes hours of the flows' budget and is switched on on
   * purpose (86400000 for daily; rounds count from 00:00 UTC, the first one runs at start).
   */
  RECONCILE_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(7 * DAY_MS, "at most 7 days (604800000)")
    .refine((ms) => ms === 0 || ms >= 1_000, "0 (off) or at least 1000")
    .default(0),
  /** Send each drifted pair through the flows (a change event per pair, as `concord reconcile --heal`); off: report only. */
  RECONCILE_HEAL: flag(false),
  /** What a scheduled round compares, in this order: orders, customers (comma-separated). */
  RECONCILE_ENTITIES: z
    .string()
    .default("orders,customers")
    .transform((value) => [...new Set(value.split(",").map((v) => v.trim()).filter(Boolean))])
    .pipe(z.array(z.enum(["orders", "customers"], "orders or customers")).min(1, "name orders, customers or both")),
  /** Concord's PostgreSQL (mapping's): the scheduled reconcile reads id_mapping and records its runs in go_live_runs. Only with RECONCILE_INTERVAL_MS > 0. */
  DATABASE_URL: secret(z.string().startsWith("postgres", "must be a postgres:// or postgresql:// URL").optional()),
  DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "lower-case identifier").default("concord"),
}).superRefine((config, ctx) => {
  if (config.RECONCILE_INTERVAL_MS > 0 && config.DATABASE_URL === undefined) {
    ctx.addIssue({ code: "custom", path: ["DATABASE_URL"], message: "required with RECONCILE_INTERVAL_MS > 0 (the scheduled reconcile records its runs in go_live_runs): set mapping's DATABASE_URL, or RECONCILE_INTERVAL_MS=0" });
  }
});
export type ResolverConfig = z.infer<typeof resolverConfigSchema>;
