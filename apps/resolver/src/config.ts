import { z } from "zod";
import { commonConfig, flag, port } from "@concord/config";

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
});
export type ResolverConfig = z.infer<typeof resolverConfigSchema>;
