import { ConfigError, insecureSettings, loadConfig, redactConfig, secretValues } from "@concord/config";
import { createLogger, initMetrics, initTracing, installProcessHandlers, masker, maskedErrorText, shutdownTracing } from "@concord/telemetry";
import { configureNatsSecurity, natsSecurityFromConfig, splitServerCredentials } from "@concord/bus";
import { createApp } from "./app";
import { ingressConfigSchema, type IngressConfig } from "./config";

/** A stop that takes longer than this is stuck: exit anyway, with 128 + the signal number. */
const SHUTDOWN_DEADLINE_MS = 10_000;
const SIGNAL_NUMBERS = { SIGINT: 2, SIGTERM: 15 } as const;

function parseConfig(): IngressConfig {
  try {
    return loadConfig(ingressConfigSchema, process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`ingress: ${masker.text(error.message)}\n`);
      process.exit(2);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const config = parseConfig();
  // Secrets join the masker before anything is logged.
  masker.addSecrets(secretValues(ingressConfigSchema, config));
  masker.addSecrets([splitServerCredentials(config.NATS_URL).password ?? ""]);
  configureNatsSecurity(natsSecurityFromConfig(config));
  initTracing("ingress", config.OTEL_TRACES_FILE, { endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, tracesEndpoint: config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT });
  initMetrics("ingress");
  const logger = createLogger("ingress", config.LOG_LEVEL);
  logger.info("starting", { config: redactConfig(ingressConfigSchema, config) });
  for (const warning of insecureSettings(ingressConfigSchema, config)) logger.warn("insecure setting allowed", { warning });
  installProcessHandlers(logger);

  const app = createApp(config, { logger });

  let stopping = false;
  const shutdown = (signal: keyof typeof SIGNAL_NUMBERS) => {
    if (stopping) return;
    stopping = true;
    logger.info("shutting down", { signal });
    setTimeout(() => {
      logger.error("shutdown deadline passed; exiting", { deadlineMs: SHUTDOWN_DEADLINE_MS });
      process.exit(128 + SIGNAL_NUMBERS[signal]);
    }, SHUTDOWN_DEADLINE_MS).unref();
    app
      .stop()
      .then(() => shutdownTracing())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error("shutdown failed", { error });
          process.exit(128 + SIGNAL_NUMBERS[signal]);
        },
      );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));

  try {
    const { port } = await app.start();
    logger.info("started", { port });
  } catch (error) {
    logger.error("start failed", { error });
    process.exit(1);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`ingress: ${maskedErrorText(error)}\n`);
  process.exit(1);
});
