import {
  context,
  createContextKey,
  propagation,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
} from '@opentelemetry/api';

const tracer = trace.getTracer('@marketpulse/runtime/bus');

/** The API's own no-op provider: what the global provider delegates to while no SDK registered one. */
const NOOP_TRACER_PROVIDER = new ProxyTracerProvider().getDelegate();
const PROBE = createContextKey('marketpulse.bus.context_probe');
const PROBED = ROOT_CONTEXT.setValue(PROBE, true);

/**
 * Whether a consumer span would be work for nothing: no tracer provider records spans and no
 * context manager would carry the span's context into the handler (no SDK started:
 * OTEL_TRACES_EXPORTER=none). The span, its context and its attributes then cost ~3 µs per event
 * (issue 19). A context manager alone still carries the producer's trace to the handler, so it keeps the span.
 */
function tracingIsNoop(): boolean {
  const provider = trace.getTracerProvider();
  if (!(provider instanceof ProxyTracerProvider) || provider.getDelegate() !== NOOP_TRACER_PROVIDER) return false;
  return context.with(PROBED, () => context.active() !== PROBED);
}

/** W3C trace headers (traceparent, tracestate) of the active context, for a record's headers. */
export function traceHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/**
 * Runs a handler inside a consumer span that continues the producer's trace. When the kafkajs
 * instrumentation already opened one for this record (eachMessage), that span is used. When the
 * active span belongs to another trace (the instrumentation starts a new trace per eachBatch), a
 * process span is started in the producer's trace, linked to the batch span.
 */
export function inConsumerSpan<T>(
  topic: string,
  headers: Record<string, string | undefined>,
  fn: () => Promise<T>,
  attributes: Attributes = {},
): Promise<T> {
  if (tracingIsNoop()) {
    try {
      return fn();
    } catch (err) {
      // What the handler threw, as a rejection, as startActiveSpan's async callback below hands it on.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the handler's own value, unchanged
      return Promise.reject(err);
    }
  }
  const parent = propagation.extract(ROOT_CONTEXT, headers);
  const producer = trace.getSpanContext(parent);
  const active = trace.getActiveSpan();
  if (active && (!producer || active.spanContext().traceId === producer.traceId)) {
    active.setAttributes(attributes);
    return fn();
  }
  return tracer.startActiveSpan(
    `process ${topic}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.destination.name': topic,
        'messaging.operation.type': 'process',
        'messaging.operation.name': 'process',
        ...attributes,
      },
      links: active ? [{ context: active.spanContext() }] : [],
    },
    parent,
    async (span) => {
      try {
        return await fn();
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}
