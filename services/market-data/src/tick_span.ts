import type { events } from '@marketpulse/proto';
import { noTracerProvider } from '@marketpulse/runtime';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Tick } from './tick';

const tracer = trace.getTracer('@marketpulse/market-data/engine');

/**
 * Runs one tick's ingest inside a `market-data tick` span, so what it queues (the tick's event, a
 * candle or an issue it closes or raises) is published in the tick's trace: the Kafka producer
 * span, the record's traceparent and, during an outage, the spool record's all belong to it.
 * The span's parent is the active span when there is one (a caller tracing its own work);
 * otherwise the tick starts a trace, sampled like any root. Its attributes use the Kafka spans'
 * keys, so one tag search finds the tick and each of its hops.
 *
 * Without an SDK nothing is made: no span and no context, so queued events keep sharing one
 * context and the publisher still sends them in batches.
 */
export function inTickSpan(tick: Tick, ingest: (tick: Tick) => events.Event | undefined): void {
  if (noTracerProvider()) {
    ingest(tick);
    return;
  }
  const span = tracer.startSpan('market-data tick', {
    attributes: {
      'marketpulse.event.type': 'market_data_update',
      'marketpulse.event.subject': tick.symbol,
      'marketpulse.market.provider': tick.provider,
    },
  });
  try {
    const event = context.with(trace.setSpan(context.active(), span), ingest, undefined, tick);
    if (event) span.setAttribute('messaging.message.id', event.id);
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    span.end();
  }
}
