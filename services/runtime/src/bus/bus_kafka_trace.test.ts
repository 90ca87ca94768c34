import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { events } from '@marketpulse/proto';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { Kafka, logLevel, type ProducerConfig } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createLogger } from '../log/logger';
import type { DeliveredEvent } from './bus';
import { KafkaBus } from './bus_kafka';

// With tracing on, every event's record continues the trace it was published in, under a `send`
// span of its own, and publishes of different traces still share one Kafka produce request.
// The suite's global setup provides the broker (tests/vitest.config.ts).
const brokers = ((inject as (key: string) => string | undefined)('mpKafkaBrokers') ?? process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(
  ',',
);
/** What the bus logged (warnings and errors), as parsed lines. */
const logged: Record<string, unknown>[] = [];
const logger = createLogger(
  'bus-kafka-trace-test',
  {},
  { level: 'warn', destination: { write: (line: string) => void logged.push(JSON.parse(line)) } },
);
const prefix = `test.bus-trace.${randomUUID().slice(0, 8)}.`;
const topic = `${prefix}market_data_update`;
const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
const tracer = provider.getTracer('test');

/** Produce requests the producers made since the last reset: the Kafka round trips a publisher waits for. */
let produceRequests = 0;
const newProducer = Kafka.prototype.producer;
vi.spyOn(Kafka.prototype, 'producer').mockImplementation(function (this: Kafka, config?: ProducerConfig) {
  const producer = newProducer.call(this, config);
  producer.on(producer.events.REQUEST, ({ payload }) => {
    if (payload.apiName === 'Produce') produceRequests++;
  });
  return producer;
});

let seq = 0;
function tick(symbol: string): events.Event {
  seq += 1;
  return events.Event.fromPartial({
    id: `evt-${process.pid}-${seq}`,
    type: 'market_data_update',
    source: 'bus-trace-test',
    subject: symbol,
    time: new Date().toISOString(),
    payload: { $case: 'market_data_update', market_data_update: { symbol, price: seq } },
  });
}

const inSpan = <T>(span: Span, fn: () => T): T => context.with(trace.setSpan(context.active(), span), fn);

function sendSpanOf(eventId: string): ReadableSpan {
  const span = exporter.getFinishedSpans().find((s) => s.name === `send ${topic}` && s.attributes['messaging.message.id'] === eventId);
  if (!span) throw new Error(`no send span for event ${eventId}`);
  return span;
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

const bus = new KafkaBus({
  brokers,
  clientId: 'bus-kafka-trace-test',
  topicPrefix: prefix,
  partitions: 3,
  logger,
  handlerRetry: { backoffBaseMs: 1, backoffMaxMs: 5 },
});

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
});
afterEach(() => exporter.reset());
afterAll(async () => {
  await bus.close();
  const admin = new Kafka({ clientId: 'bus-kafka-trace-test', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
  context.disable();
  propagation.disable();
  trace.disable();
});

describe('KafkaBus with tracing on (real broker)', () => {
  it('sends events published in different traces in one produce request, each record under its own send span', async () => {
    const got: DeliveredEvent[] = [];
    let failedOnce = false;
    // Subscribed inside a span that is no record's: what the consumer logs must not name its trace.
    const startUp = tracer.startSpan('start-up');
    await inSpan(startUp, () =>
      bus.subscribe({
        groupId: 'observer',
        types: ['market_data_update'],
        fromBeginning: true,
        handler: async (d) => {
          if (d.event.subject === 'AAPL' && !failedOnce) {
            failedOnce = true;
            throw new Error('first attempt fails');
          }
          got.push(d);
        },
      }),
    );
    startUp.end();
    await bus.publish(tick('WARM'));
    produceRequests = 0;

    const symbols = ['AAPL', 'MSFT', 'GOOG', 'AMZN', 'TSLA', 'NVDA', 'META', 'NFLX'];
    const parents = symbols.map((s) => tracer.startSpan(`tick ${s}`));
    const sent = symbols.map(tick);
    await Promise.all(sent.map((e, i) => inSpan(parents[i], () => bus.publish(e))));
    parents.forEach((p) => p.end());
    expect(produceRequests).toBe(1);

    await until(() => sent.every((e) => got.some((d) => d.event.id === e.id)), 'every event delivered');
    // One per handler run: the warm-up event, each event, and AAPL's failed first attempt.
    await until(() => exporter.getFinishedSpans().filter((s) => s.name === `process ${topic}`).length >= sent.length + 2, 'consumer spans');
    const spans = exporter.getFinishedSpans();
    sent.forEach((e, i) => {
      const send = sendSpanOf(e.id);
      const parent = parents[i].spanContext();
      expect(send.kind).toBe(SpanKind.PRODUCER);
      expect(send.spanContext().traceId).toBe(parent.traceId);
      expect(send.parentSpanContext?.spanId).toBe(parent.spanId);
      expect(send.status.code).not.toBe(SpanStatusCode.ERROR);
      expect(send.attributes).toMatchObject({
        'messaging.system': 'kafka',
        'messaging.destination.name': topic,
        'messaging.operation.name': 'send',
        'messaging.operation.type': 'send',
        'messaging.kafka.message.key': e.subject,
        'marketpulse.event.type': 'market_data_update',
        'marketpulse.event.subject': e.subject,
      });
      const delivered = got.find((d) => d.event.id === e.id)!;
      expect(delivered.traceparent).toBe(`00-${parent.traceId}-${send.spanContext().spanId}-01`);

      const runs = spans.filter((s) => s.name === `process ${topic}` && s.attributes['messaging.message.id'] === e.id);
      expect(runs.map((s) => s.status.code === SpanStatusCode.ERROR)).toEqual(e.subject === 'AAPL' ? [true, false] : [false]);
      for (const run of runs) {
        expect(run.kind).toBe(SpanKind.CONSUMER);
        expect(run.parentSpanContext?.spanId).toBe(send.spanContext().spanId);
        expect(run.attributes).toMatchObject({ 'messaging.destination.name': topic, 'messaging.kafka.offset': delivered.offset });
      }
    });
    const retried = logged.filter((l) => l.msg === 'event handler failed; the event will be delivered again');
    expect(retried).toHaveLength(1);
    expect(retried[0].trace_id).toBeUndefined();
  });

  it('marks the send spans of a publish Kafka refuses as failed, with the error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise((resolve) => closed.close(resolve));
    const away = new KafkaBus({
      brokers: [`127.0.0.1:${port}`],
      clientId: 'bus-kafka-trace-test',
      topicPrefix: prefix,
      partitions: 1,
      logger,
      kafka: { retry: { retries: 0 }, connectionTimeout: 500, logLevel: logLevel.NOTHING },
    });
    const parent = tracer.startSpan('tick');
    const event = tick('AAPL');
    await expect(inSpan(parent, () => away.publish(event))).rejects.toMatchObject({ code: 'BUS_PUBLISH_FAILED' });
    parent.end();
    await away.close();

    const send = sendSpanOf(event.id);
    expect(send.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(send.status.code).toBe(SpanStatusCode.ERROR);
    expect(send.events.map((e) => e.name)).toContain('exception');
  });
});
