export { createMasker, isSecretKey, masker, MIN_SECRET_LENGTH } from "./masking";
export type { Masker } from "./masking";
export { createLogger } from "./logger";
export { installProcessHandlers, maskedErrorText } from "./crash";
export type { Logger } from "./logger";
export {
  initTracing,
  shutdownTracing,
  tracer,
  withSpan,
  startRequestSpan,
  currentTraceId,
  traceHeaders,
  contextFromHeaders,
  SpanKind,
  SpanStatusCode,
  otlpTracesUrl,
} from "./tracing";
export type { Span, Context, OtlpSettings } from "./tracing";
export { initMetrics, renderMetrics, metrics, gauges, cachedRead, metricsRegistry } from "./metrics";
export type { SourcedGauge } from "./metrics";
export { collectCalls, recordTargetCall, takeCalls, observeTargetRequest, MAX_CALLS_PER_OUTCOME } from "./calls";
export type { TargetCall } from "./calls";
