import { loadPolicy, defaultPolicyPath } from "@concord/policy";
import { runService } from "@concord/runtime";
import { resolverConfigSchema } from "./config";
import { createApp } from "./app";

void runService("resolver", resolverConfigSchema, (config, logger) => {
  // A policy with errors stops start-up with every problem and its line (exit 2, like bad config).
  let policy;
  try {
    policy = loadPolicy(config.POLICY_FILE ?? defaultPolicyPath);
  } catch (error) {
    process.stderr.write(`resolver: ${(error as Error).message}\n`);
    process.exit(2);
  }
  return createApp(config, logger, policy);
});
