import winston from "winston";
import { context, trace } from "@opentelemetry/api";
import { masker } from "./masking";

export type Logger = winston.Logger;

/** Adds trace ids from the active span and masks every string, including nested meta. */
const enrich = winston.format((info) => {
  const span = trace.getSpanContext(context.active());
  if (span && trace.isSpanContextValid(span)) {
    info.trace_id = span.traceId;
    info.span_id = span.spanId;
  }
  for (const key of Object.keys(info)) {
    const value = info[key];
    if (value instanceof Error) {
      info[key] = { name: value.name, message: masker.text(value.message), code: (value as { code?: unknown }).code };
    } else {
      info[key] = masker.value(value);
    }
  }
  if (typeof info.message === "string") info.message = masker.text(info.message);
  return info;
});

/**
 * JSON logs to stdout: `{level, message, service, trace_id, ...}`. Log ids, outcomes and
 * durations; never payloads. Secrets are masked here, whatever the caller passes.
 */
export function createLogger(service: string, level = "info"): Logger {
  return winston.createLogger({
    level,
    defaultMeta: { service },
    format: winston.format.combine(enrich(), winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Console()],
  });
}
