import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';

const tracer = trace.getTracer('webhook-delivery');

/**
 * Runs one attempt inside a span that continues the event's trace (the traceparent the event
 * arrived with), so a trace runs from the publisher through Kafka to the receiver.
 */
export function withDeliverySpan<T>(
  traceparent: string | null,
  attributes: Record<string, string | number>,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : context.active();
  return tracer.startActiveSpan('webhook deliver', { kind: SpanKind.INTERNAL, attributes }, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
      throw err;
    } finally {
      span.end();
    }
  });
}

/**
 * The trace headers for the outgoing request: the active span's when telemetry is running (the
 * HTTP instrumentation then replaces them with its client span's), else the event's own traceparent.
 */
export function outgoingTraceHeaders(fallbackTraceparent: string | null): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  if (!carrier.traceparent && fallbackTraceparent) carrier.traceparent = fallbackTraceparent;
  return carrier;
}
