import { loadPolicy, defaultPolicyPath } from "@concord/policy";
import { runService } from "@concord/runtime";
import { resolverConfigSchema } from "./config";
import { createApp } from "./app";
import { missingBackfills } from "./backfill-gate";

void runService("resolver", resolverConfigSchema, (config, logger) => {
  // A policy with errors stops start-up with every problem and its line (exit 2, like bad config).
  let policy;
  try {
    policy = loadPolicy(config.POLICY_FILE ?? defaultPolicyPath);
  } catch (error) {
    process.stderr.write(`resolver: ${(error as Error).message}\n`);
    process.exit(2);
  }
  const loaded = policy;
  return (async () => {
    if (config.RESOLVER_REQUIRE_BACKFILL) {
      const missing = await missingBackfills(config.NATS_URL, config.CONCORD_NAMESPACE, loaded);
      if (missing.length > 0) {
        const list = missing.join(",");
        throw new Error(`the flows of ${list} may not start: no backfill applied or skipped (concord backfill --entity ${list} --apply, or --skip --reason "…"; docs/rollout.md)`);
      }
    }
    return createApp(config, logger, loaded);
  })();
});
