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
  currentTraceId,
  traceHeaders,
  contextFromHeaders,
  SpanKind,
  SpanStatusCode,
} from "./tracing";
export type { Span, Context } from "./tracing";
