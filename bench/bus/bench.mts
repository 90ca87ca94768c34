/**
 * Throughput and latency of runtime's KafkaBus on the real broker.
 *
 *   node bench/bus/bench.mts      (after `pnpm run build`; Kafka on KAFKA_BROKERS, default 127.0.0.1:9092)
 *
 * A fresh topic prefix per run (topics deleted at the end), BENCH_PARTITIONS partitions (default 3,
 * the services' KAFKA_PARTITIONS default), subjects spread over BENCH_SYMBOLS symbols (default 100).
 * One bus publishes, another consumes, as two services would. Phases, each printing a JSON line:
 *   - consume_max: BENCH_BACKLOG events (default 20,000) published first, then read by a new group
 *     from the beginning with a handler that does nothing: events/s handled;
 *   - consume_io: the same with a handler that waits BENCH_HANDLER_MS (default 2) per event, like
 *     a database write: events/s handled (shows partitions being consumed side by side);
 *   - publish_concurrent: BENCH_SINGLES single-event publish() calls (default 10,000) with
 *     BENCH_CONCURRENCY (default 200) outstanding, to an existing topic: publishes/s acknowledged
 *     (acks=all);
 *   - pipeline: BENCH_RATE single-event publishes/s (default 1,000, not awaited one by one) for
 *     BENCH_DURATION_MS (default 10 s) to a live group: events/s handled and publish() call ->
 *     handler latency p50/p99/max.
 */
import { performance } from 'node:perf_hooks';
import { events } from '@marketpulse/proto';
import { deleteBenchTopics } from '../kafka_cleanup.mts';
import { createLogger, KafkaBus, type DeliveredEvent } from '@marketpulse/runtime';

const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 3);
const SYMBOLS = Number(process.env.BENCH_SYMBOLS ?? 100);
const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 20_000);
const HANDLER_MS = Number(process.env.BENCH_HANDLER_MS ?? 2);
const SINGLES = Number(process.env.BENCH_SINGLES ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 200);
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 10_000);
const run = `${Date.now().toString(36)}${process.pid}`;
const PREFIX = `bench.bus.${run}.`;

const line = (name: string, value: number, unit: string, extra: Record<string, unknown> = {}) =>
  console.log(JSON.stringify({ bench: 'bus', name, value: Math.round(value * 10) / 10, unit, ...extra }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const logger = createLogger('bus-bench', {}, { level: process.env.LOG_LEVEL ?? 'warn' });
const newBus = (clientId: string) => new KafkaBus({ brokers: BROKERS, clientId, topicPrefix: PREFIX, partitions: PARTITIONS, logger });

let seq = 0;
function tick(type: string): events.Event {
  const symbol = `SYM${seq % SYMBOLS}`;
  return events.Event.fromPartial({
    id: `bench_${run}_${seq++}`,
    type,
    source: 'bench',
    subject: symbol,
    time: new Date().toISOString(),
    payload: { $case: 'market_data_update', market_data_update: { symbol, price: 100 + (seq % 50), volume: 10 } },
  });
}

const publisher = newBus('bus-bench-publisher');
const consumer = newBus('bus-bench-consumer');

/** Publishes `count` events of `type` in arrays of 500; returns when all are acknowledged. */
async function backlog(type: string, count: number): Promise<void> {
  for (let done = 0; done < count; done += 500)
    await publisher.publish(Array.from({ length: Math.min(500, count - done) }, () => tick(type)));
}

/** Reads `count` retained events from the beginning with `handler`; events/s from subscribe to the last one. */
async function consumeBacklog(name: string, type: string, count: number, handler: () => Promise<void>): Promise<void> {
  let handled = 0;
  const started = performance.now();
  let last = started;
  const sub = await consumer.subscribe({
    groupId: `${name}-group`,
    types: [type],
    fromBeginning: true,
    handler: async () => {
      await handler();
      handled += 1;
      last = performance.now();
    },
  });
  const deadline = Date.now() + 300_000;
  while (handled < count && Date.now() < deadline) await sleep(20);
  await sub.close();
  line(`${name}_events_per_s`, handled / ((last - started) / 1000), 'events/s', { handled, of: count, partitions: PARTITIONS });
}

function percentiles(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
  return { p50: at(50), p99: at(99), max: sorted.at(-1) ?? NaN };
}

try {
  await backlog('market_data_update', BACKLOG);
  await consumeBacklog('consume_max', 'market_data_update', BACKLOG, async () => undefined);
  await consumeBacklog('consume_io', 'market_data_update', Math.min(BACKLOG, 6000), async () => {
    await sleep(HANDLER_MS);
  });

  {
    await publisher.publish(tick('aggregation'));
    const started = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < SINGLES) {
        next += 1;
        await publisher.publish(tick('aggregation'));
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    line('publish_concurrent_per_s', SINGLES / ((performance.now() - started) / 1000), 'publishes/s', {
      calls: SINGLES,
      outstanding: CONCURRENCY,
    });
  }

  {
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    let first = 0;
    let last = 0;
    const sub = await consumer.subscribe({
      groupId: 'pipeline-group',
      types: ['prediction_complete'],
      handler: async (d: DeliveredEvent) => {
        const at = performance.now();
        const t0 = sentAt.get(d.event.id);
        if (t0 === undefined) return;
        latencies.push(at - t0);
        first ||= at;
        last = at;
      },
    });
    const failures: unknown[] = [];
    const started = performance.now();
    let sent = 0;
    while (performance.now() - started < DURATION_MS) {
      const due = Math.floor(((performance.now() - started) / 1000) * RATE) - sent;
      for (let i = 0; i < due; i++, sent++) {
        const e = tick('prediction_complete');
        sentAt.set(e.id, performance.now());
        publisher.publish(e).catch((err: unknown) => failures.push(err));
      }
      await sleep(1);
    }
    const deadline = Date.now() + 60_000;
    while (latencies.length < sent && Date.now() < deadline) await sleep(20);
    await sub.close();
    const { p50, p99, max } = percentiles(latencies);
    line('pipeline_events_per_s', latencies.length / ((last - first) / 1000), 'events/s', {
      handled: latencies.length,
      published: sent,
      failed: failures.length,
      target_rate: RATE,
      symbols: SYMBOLS,
    });
    line('pipeline_latency_p50', p50, 'ms');
    line('pipeline_latency_p99', p99, 'ms');
    line('pipeline_latency_max', max, 'ms');
  }
} finally {
  await Promise.allSettled([publisher.close(), consumer.close()]);
  await deleteBenchTopics(BROKERS.join(','), PREFIX);
}
