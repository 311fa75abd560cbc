import { appendFileSync } from "node:fs";
import {
  context,
  propagation,
  trace,
  SpanKind,
  SpanStatusCode,
  type Attributes,
  type Context,
  type Span,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator, ExportResultCode, type ExportResult } from "@opentelemetry/core";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { BatchSpanProcessor, SimpleSpanProcessor, type ReadableSpan, type SpanExporter, type SpanProcessor } from "@opentelemetry/sdk-trace-base";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { masker } from "./masking";

/** Writes finished spans as JSON lines: enough to follow a trace across processes in tests and demos. */
class JsonLinesSpanExporter implements SpanExporter {
  constructor(private readonly file: string) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    try {
      const lines = spans.map((s) =>
        JSON.stringify({
          traceId: s.spanContext().traceId,
          spanId: s.spanContext().spanId,
          parentSpanId: s.parentSpanContext?.spanId ?? null,
          name: s.name,
          kind: s.kind,
          service: s.resource.attributes["service.name"],
          start: s.startTime,
          durationMs: s.duration[0] * 1e3 + s.duration[1] / 1e6,
          status: s.status.code,
          attributes: masker.value(s.attributes),
        }),
      );
      if (lines.length > 0) appendFileSync(this.file, `${lines.join("\n")}\n`);
      done({ code: ExportResultCode.SUCCESS });
    } catch (error) {
      done({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * A span as it leaves the process: attributes, event attributes and the status message masked
 * again — attributes set after a span started (`span.setAttribute`) never went through the
 * masker, and a collector is as much outside the process as a log file.
 */
function maskedSpan(s: ReadableSpan): ReadableSpan {
  return {
    name: s.name,
    kind: s.kind,
    spanContext: () => s.spanContext(),
    parentSpanContext: s.parentSpanContext,
    startTime: s.startTime,
    endTime: s.endTime,
    status: s.status.message === undefined ? s.status : { ...s.status, message: masker.text(s.status.message) },
    attributes: masker.value(s.attributes),
    links: s.links,
    events: s.events.map((e) => (e.attributes ? { ...e, attributes: masker.value(e.attributes) } : e)),
    duration: s.duration,
    ended: s.ended,
    resource: s.resource,
    instrumentationScope: s.instrumentationScope,
    droppedAttributesCount: s.droppedAttributesCount,
    droppedEventsCount: s.droppedEventsCount,
    droppedLinksCount: s.droppedLinksCount,
  };
}

/** Hands spans to `inner` masked. */
class MaskingSpanExporter implements SpanExporter {
  constructor(private readonly inner: SpanExporter) {}
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans.map(maskedSpan), done);
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/** Where OTLP goes: the standard variables (`OTEL_EXPORTER_OTLP_ENDPOINT` or the traces-specific one). */
export interface OtlpSettings {
  /** Base URL of a collector's OTLP/HTTP receiver; traces go to `<endpoint>/v1/traces`. */
  endpoint?: string;
  /** Full URL for traces; wins over `endpoint`. */
  tracesEndpoint?: string;
}

/** The URL spans are posted to, or null when OTLP is not configured. */
export function otlpTracesUrl(settings: OtlpSettings = {}): string | null {
  if (settings.tracesEndpoint) return settings.tracesEndpoint;
  if (settings.endpoint) return `${settings.endpoint.replace(/\/+$/, "")}/v1/traces`;
  return null;
}

let provider: NodeTracerProvider | undefined;

/**
 * Sets up tracing once per process: spans to the JSON-lines file when one is named, and by
 * OTLP/HTTP (JSON) in batches when a collector is configured — both masked. Without either the
 * spans still carry the W3C context between hops.
 * The batch processor's timing and the exporter's headers/timeout follow the standard
 * `OTEL_BSP_*` and `OTEL_EXPORTER_OTLP_*` variables.
 */
export function initTracing(service: string, file?: string, otlp?: OtlpSettings): void {
  if (provider) return;
  const processors: SpanProcessor[] = [];
  if (file) processors.push(new SimpleSpanProcessor(new JsonLinesSpanExporter(file)));
  const url = otlpTracesUrl(otlp);
  if (url) processors.push(new BatchSpanProcessor(new MaskingSpanExporter(new OTLPTraceExporter({ url }))));
  provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": service }),
    spanProcessors: processors,
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
}

export async function shutdownTracing(): Promise<void> {
  await provider?.shutdown();
  provider = undefined;
}

export function tracer() {
  return trace.getTracer("concord");
}

/** Runs `fn` in a new span (child of `parent` or the active context); records failures. */
export async function withSpan<T>(
  name: string,
  options: { kind?: SpanKind; attributes?: Attributes; parent?: Context },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = options.parent ?? context.active();
  return tracer().startActiveSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: masker.value(options.attributes ?? {}) },
    parent,
    async (span) => {
      try {
        return await fn(span);
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: masker.text(String((error as Error)?.message ?? error)) });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/**
 * Starts a SERVER span for an HTTP request and runs `next` (the rest of the request's handling)
 * inside it; the caller ends the span when the response is done.
 */
export function startRequestSpan(name: string, attributes: Attributes, next: () => void): Span {
  const span = tracer().startSpan(name, { kind: SpanKind.SERVER, attributes: masker.value(attributes) });
  context.with(trace.setSpan(context.active(), span), next);
  return span;
}

/** Current trace id, or null outside a span. */
export function currentTraceId(): string | null {
  const ctx = trace.getSpanContext(context.active());
  return ctx && trace.isSpanContextValid(ctx) ? ctx.traceId : null;
}

/** W3C headers (`traceparent`, `tracestate`) for the active context. */
export function traceHeaders(ctx: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/** Context from W3C headers of an inbound message or request. */
export function contextFromHeaders(get: (name: string) => string | undefined): Context {
  return propagation.extract(
    context.active(),
    {},
    {
      get: (_carrier, key) => get(key),
      keys: () => ["traceparent", "tracestate"],
    },
  );
}

export { SpanKind, SpanStatusCode };
export type { Span, Context };
