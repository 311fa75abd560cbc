export { createMasker, masker } from "./masking";
export type { Masker } from "./masking";
export { createLogger } from "./logger";
export type { Logger } from "./logger";
export {
  initTracing,
  shutdownTracing,
  tracer,
  withSpan,
  currentTraceId,
  traceHeaders,
  contextFromHeaders,
  SpanKind,
  SpanStatusCode,
} from "./tracing";
export type { Span, Context } from "./tracing";
