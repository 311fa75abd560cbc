import type { z } from "zod";
import { configureNatsSecurity, configureSealing, createSealer, natsSecurityFromConfig, splitServerCredentials } from "@concord/bus";
import { ConfigError, insecureSettings, loadConfig, redactConfig, secretValues } from "@concord/config";
import { createLogger, initMetrics, initTracing, installProcessHandlers, masker, shutdownTracing, type Logger, type OtlpSettings } from "@concord/telemetry";

export interface Service {
  stop(): Promise<void>;
}

/**
 * The composition root shared by every app's main.ts: parse config (exit 2 with a message
 * naming the variable), register secrets with the masker, start tracing and the app, and wire
 * SIGTERM/SIGINT to a graceful stop with a deadline.
 */
export async function runService<S extends z.ZodObject>(
  name: string,
  schema: S,
  start: (config: z.infer<S>, logger: Logger) => Promise<Service>,
  deadlineMs = 25_000,
): Promise<void> {
  let config: z.infer<S>;
  try {
    config = loadConfig(schema, process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${name}: ${masker.text(error.message)}\n`);
      process.exit(2);
    }
    throw error;
  }
  masker.addSecrets(secretValues(schema, config));
  const cfg = config as Record<string, unknown>;
  // NATS: the account from config for every connectBus here; a password inside NATS_URL joins the masker.
  configureNatsSecurity(natsSecurityFromConfig(cfg));
  if (typeof cfg.NATS_URL === "string") masker.addSecrets([splitServerCredentials(cfg.NATS_URL).password ?? ""]);
  if (typeof cfg.CONCORD_DLQ_KEY === "string") {
    const old = typeof cfg.CONCORD_DLQ_OLD_KEYS === "string" ? cfg.CONCORD_DLQ_OLD_KEYS.split(",").map((k) => k.trim()).filter(Boolean) : [];
    configureSealing(createSealer(cfg.CONCORD_DLQ_KEY, old));
  }
  const logger = createLogger(name, typeof cfg.LOG_LEVEL === "string" ? cfg.LOG_LEVEL : "info");
  initTracing(name, typeof cfg.OTEL_TRACES_FILE === "string" ? cfg.OTEL_TRACES_FILE : undefined, otlpSettingsOf(cfg));
  initMetrics(name);
  installProcessHandlers(logger);
  logger.info("starting", { config: redactConfig(schema, config) });
  for (const warning of insecureSettings(schema, config)) logger.warn("insecure setting allowed", { warning });

  let service: Service;
  try {
    service = await start(config, logger);
  } catch (error) {
    logger.error("start failed", { error });
    process.exit(1);
  }
  logger.info("started");

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info("stopping", { signal });
    const timer = setTimeout(() => {
      logger.error("shutdown deadline passed; exiting", { deadlineMs });
      process.exit(128 + (signal === "SIGINT" ? 2 : 15));
    }, deadlineMs);
    timer.unref();
    service
      .stop()
      .then(() => shutdownTracing())
      .then(
        () => {
          logger.info("stopped");
          process.exit(0);
        },
        (error: unknown) => {
          logger.error("stop failed", { error });
          process.exit(1);
        },
      );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

/** The OTLP variables of a parsed config (commonConfig), for initTracing. */
export function otlpSettingsOf(cfg: Record<string, unknown>): OtlpSettings {
  const text = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
  return { endpoint: text(cfg.OTEL_EXPORTER_OTLP_ENDPOINT), tracesEndpoint: text(cfg.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) };
}
