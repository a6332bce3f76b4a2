import { type Context, type Span, type Tracer, context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-node';

/** A started tracer and how to stop it. */
export interface Telemetry {
  tracer: Tracer;
  /** Flushes pending spans; never throws, even when the collector is unreachable. */
  flush(): Promise<void>;
  /** Flushes and stops; never throws. */
  shutdown(): Promise<void>;
}

/**
 * Starts OpenTelemetry tracing for a service. Spans are exported over OTLP/HTTP when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (or `..._TRACES_ENDPOINT`) is set; otherwise they are created
 * (so trace ids still propagate) but not exported. An unreachable collector is logged, not fatal.
 */
export function startTelemetry(serviceName: string, attributes: Record<string, string> = {}, env = process.env): Telemetry {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const spanProcessors: SpanProcessor[] = [];
  if (endpoint) {
    const url = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? `${endpoint.replace(/\/$/, '')}/v1/traces`;
    const delay = Number(env.OTEL_BSP_SCHEDULE_DELAY ?? 1000);
    spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url }), { scheduledDelayMillis: delay }));
  }
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName, ...attributes }),
    spanProcessors,
  });
  provider.register();
  const quiet = async (what: string, p: Promise<void>) => {
    try {
      await p;
    } catch (e) {
      process.stderr.write(`telemetry: ${what} failed (spans dropped): ${(e as Error).message}\n`);
    }
  };
  return {
    tracer: trace.getTracer(serviceName),
    flush: () => quiet('flush', provider.forceFlush()),
    shutdown: () => quiet('shutdown', provider.shutdown()),
  };
}

/** Minimal header map (NATS MsgHdrs fits). */
export interface HeaderCarrier {
  get(key: string): string;
  set(key: string, value: string): void;
}

/** Writes the W3C trace context of `ctx` (default: active) into message headers. */
export function injectTraceContext(headers: HeaderCarrier, ctx: Context = context.active()): void {
  propagation.inject(ctx, headers, { set: (h, k, v) => h.set(k, v) });
}

/** Reads a W3C trace context from message headers into a new context. */
export function extractTraceContext(headers: HeaderCarrier | undefined): Context {
  if (!headers) return context.active();
  return propagation.extract(context.active(), headers, {
    get: (h, k) => h.get(k) || undefined,
    keys: () => ['traceparent', 'tracestate'],
  });
}

/** The context in which `span` is the parent. */
export function contextWithSpan(span: Span, parent: Context = context.active()): Context {
  return trace.setSpan(parent, span);
}
