import winston from "winston";
import { context, trace } from "@opentelemetry/api";
import { masker } from "./masking";

export type Logger = winston.Logger;

/**
 * Adds trace ids from the active span and masks every field: a top-level field named like a
 * secret whole, errors (also nested) as masked `{name, message, code, stack}`, strings and
 * nested meta by value and shape.
 */
const enrich = winston.format((info) => {
  const span = trace.getSpanContext(context.active());
  if (span && trace.isSpanContextValid(span)) {
    info.trace_id = span.traceId;
    info.span_id = span.spanId;
  }
  for (const key of Object.keys(info)) {
    if (key === "level" || key === "message") continue;
    info[key] = masker.field(key, info[key]);
  }
  info.message = typeof info.message === "string" ? masker.text(info.message) : masker.value(info.message);
  // winston copies an error's `stack` onto info when an Error is logged directly.
  if (typeof info.stack === "string") info.stack = masker.text(info.stack);
  return info;
});

/**
 * JSON logs to stdout: `{level, message, service, trace_id, ...}`. Log ids, outcomes and
 * durations; never payloads. Secrets are masked here, whatever the caller passes.
 */
export function createLogger(service: string, level = "info", stream?: NodeJS.WritableStream): Logger {
  return winston.createLogger({
    level,
    defaultMeta: { service },
    format: winston.format.combine(enrich(), winston.format.timestamp(), winston.format.json()),
    transports: [stream ? new winston.transports.Stream({ stream }) : new winston.transports.Console()],
  });
}
