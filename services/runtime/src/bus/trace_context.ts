import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

const tracer = trace.getTracer('@marketpulse/runtime/bus');

/** W3C trace headers (traceparent, tracestate) of the active context, for a record's headers. */
export function traceHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/**
 * Runs a handler inside a consumer span that continues the producer's trace. When an
 * instrumentation (kafkajs) already opened a consumer span for this record, that span is reused.
 */
export function inConsumerSpan<T>(topic: string, headers: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  if (trace.getActiveSpan()) return fn();
  const parent = propagation.extract(ROOT_CONTEXT, headers);
  return tracer.startActiveSpan(
    `process ${topic}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: { 'messaging.destination.name': topic, 'messaging.operation.type': 'process' },
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
