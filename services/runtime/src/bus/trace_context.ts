import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';

const tracer = trace.getTracer('@marketpulse/runtime/bus');

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
