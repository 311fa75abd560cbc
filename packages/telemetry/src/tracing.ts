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
import { SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from "@opentelemetry/sdk-trace-base";
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

let provider: NodeTracerProvider | undefined;

/** Sets up tracing once per process. Without a file the spans still carry context between hops. */
export function initTracing(service: string, file?: string): void {
  if (provider) return;
  provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": service }),
    spanProcessors: file ? [new SimpleSpanProcessor(new JsonLinesSpanExporter(file))] : [],
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
