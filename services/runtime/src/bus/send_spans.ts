import type { events } from '@marketpulse/proto';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import { noTracerProvider } from '../telemetry/tracer_provider';
import { encodeEvent } from './bus';
import type { OutgoingRecord } from './send_coalescer';
import { messagingAttributes, traceHeaders } from './trace_context';

const tracer = trace.getTracer('@marketpulse/runtime/bus');

/** The `send <topic>` spans of one publish (none without a tracer provider), ended when it settles. */
export type SendSpans = Span[] | undefined;

/**
 * The Kafka records of one publish, with their trace headers. With a tracer provider each record
 * gets a `send <topic>` PRODUCER span, child of the context active now (the publish call's), and
 * carries that span's traceparent, so its consumer continues the trace under its own record's
 * send. The bus makes these spans, not the kafkajs instrumentation: that one parents every record
 * of a producer request on the context active at the request, so records of different traces
 * could not share a request.
 *
 * Without a tracer provider no span is made and every record carries the active context's
 * headers, as propagation alone gives them (none at all when tracing is off).
 */
export function outgoingRecords(list: events.Event[], topicOf: (type: string) => string): { records: OutgoingRecord[]; spans: SendSpans } {
  if (noTracerProvider()) {
    const shared = traceHeaders();
    const records = list.map((e) => ({
      topic: topicOf(e.type),
      key: e.subject,
      value: Buffer.from(encodeEvent(e)),
      headers: { ...shared, 'event-type': e.type, 'event-id': e.id },
    }));
    return { records, spans: undefined };
  }
  const active = context.active();
  const spans: Span[] = [];
  const records = list.map((e) => {
    const topic = topicOf(e.type);
    const span = startSendSpan(topic, e, active);
    spans.push(span);
    const headers: Record<string, string> = {};
    propagation.inject(trace.setSpan(active, span), headers);
    return { topic, key: e.subject, value: Buffer.from(encodeEvent(e)), headers: { ...headers, 'event-type': e.type, 'event-id': e.id } };
  });
  return { records, spans };
}

/** Ends a publish's send spans; a refused publish marks each of them failed with its error. */
export function endSendSpans(spans: SendSpans, err?: unknown): void {
  if (!spans) return;
  for (const span of spans) {
    if (err !== undefined) {
      span.recordException(err instanceof Error ? err : String(err));
      span.setAttribute('error.type', err instanceof Error ? err.constructor.name : '_OTHER');
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
    }
    span.end();
  }
}

/** A record's `send <topic>` span: the attributes the kafkajs instrumentation set, and the event's own. */
function startSendSpan(topic: string, e: events.Event, parent: Context): Span {
  return tracer.startSpan(
    `send ${topic}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        ...messagingAttributes(topic, 'send'),
        'messaging.kafka.message.key': e.subject,
        'messaging.message.id': e.id,
        'marketpulse.event.type': e.type,
        'marketpulse.event.subject': e.subject,
      },
    },
    parent,
  );
}
