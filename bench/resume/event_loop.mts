// bench/resume/event_loop.mts: how much of the gateway's event loop one Kafka read-back of
// `--missed` events takes, with the read-back thread (as the gateway runs it) and without it (the
// fetching and decoding on the event loop too, as before that thread existed). Event-loop time is
// what live delivery waits behind, so this figure is what bench/resume's live p99 depends on; it
// moves far less with the machine's load than the p99 does. The process's CPU (every thread, the
// read-back thread's included) is what the catch-up takes from the machine's cores. In-process, from gateway/dist (build
// first), on the real broker (KAFKA_BROKERS, default 127.0.0.1:9092), with the market-data door's encoder; the client
// only counts frames (no socket: run.mts measures the writes).
//
//   node bench/resume/event_loop.mts [--missed 30000] [--reps 3] [--only thread|loop]
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { events } from '@marketpulse/proto';
import { commonConfigSchema, createBus, createLogger, EVENT_TYPES, loadConfig, topicFor } from '@marketpulse/runtime';
import { deleteBenchTopics } from '../kafka_cleanup.mts';

const require = createRequire(import.meta.url);
const gateway = (path: string) => require(`@marketpulse/gateway/dist/ws/${path}`);
const { KafkaResume } = gateway('history/kafka_resume.js');
const { LogReader } = gateway('history/log_reader.js');
const { KafkaLog, partitionKey } = gateway('history/kafka_log.js');
const { PositionIndex } = gateway('history/positions.js');
const { PositionCodec, positionEpoch } = gateway('history/position_token.js');
const { marketDataEncoder: encoder } = gateway('doors/door_encoders.js');

const { values } = parseArgs({
  options: { missed: { type: 'string', default: '30000' }, reps: { type: 'string', default: '3' }, only: { type: 'string' } },
});
const MISSED = Number(values.missed);
const REPS = Number(values.reps);
const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const prefix = `bench.resume-loop.${randomUUID().slice(0, 8)}.`;
const logger = createLogger('bench-resume-loop', {}, { level: 'warn' });
const bus = createBus(
  loadConfig(commonConfigSchema, { BUS: 'kafka', KAFKA_BROKERS: brokers, KAFKA_TOPIC_PREFIX: prefix, KAFKA_PARTITIONS: '3' }),
  logger,
);
const topic = topicFor(prefix, 'market_data_update');
const topics = EVENT_TYPES.map((t: string) => topicFor(prefix, t));
const channel = 'market-data:CATCH';

function tick(n: number): events.Event {
  const time = new Date().toISOString();
  return events.Event.fromPartial({
    id: randomUUID(),
    type: 'market_data_update',
    source: 'bench-resume',
    subject: 'CATCH',
    time,
    payload: { $case: 'market_data_update', market_data_update: { symbol: 'CATCH', price: n, volume: 1, timestamp: time } },
  });
}

/** Event-loop ms, process CPU ms and wall ms of one read-back of every missed tick through `reader` (a LogReader, with or without its thread). */
async function readBack(
  log: unknown,
  codec: unknown,
  ends: Map<string, { high: number }>,
  reader: { close(): Promise<void> },
): Promise<{ loopMs: number; cpuMs: number; wallMs: number; replayed: number }> {
  const index = new PositionIndex({ capacity: 10, maxAgeMs: 3_600_000 });
  index.seed(new Map([0, 1, 2].map((p) => [partitionKey(topic, p), 0])));
  // The live stream stands at the end of each partition: the read-back reads everything before it.
  for (const [key, { high }] of ends) if (high > 0) index.record(`end-${key}`, key, high - 1);
  index.codec = codec;
  const resume = new KafkaResume({
    reader,
    index,
    topicOf: (type: string) => topicFor(prefix, type),
    eventTypes: EVENT_TYPES,
    ratePerSecond: 1_000_000,
    chunk: 100,
    maxConcurrent: 1,
    queueLimitBytes: 1 << 30,
    metrics: { read: () => {} },
    logger,
  });
  let replayed = 0;
  const done = new Promise<void>((resolve) =>
    resume.start(
      {
        principal: { userId: 'bench', scopes: ['read'], channels: ['*'], method: 'jwt' },
        isOpen: true,
        bytesQueued: 0,
        replayFrames: (frames: { ends: Uint32Array }) => void (replayed += frames.ends.length),
        holdLive: () => {},
        release: () => resolve(),
        sendError: (name: string, detail?: string) => console.error(`read-back failed: ${name} ${detail ?? ''}`),
      },
      [channel],
      encoder,
      { frontier: new Map([0, 1, 2].map((p) => [partitionKey(topic, p), 0])), label: 'bench' },
    ),
  );
  const elu = performance.eventLoopUtilization();
  const cpu = process.cpuUsage();
  const began = performance.now();
  await done;
  const { active } = performance.eventLoopUtilization(elu);
  const { user, system } = process.cpuUsage(cpu);
  const wallMs = performance.now() - began;
  return { loopMs: active, cpuMs: (user + system) / 1000, wallMs, replayed };
}

try {
  for (let n = 0; n < MISSED; n += 1000) await bus.publish(Array.from({ length: Math.min(1000, MISSED - n) }, (_, i) => tick(n + i)));
  const log = new KafkaLog(brokers.split(','), 'bench-resume-loop');
  const codec = new PositionCodec(positionEpoch(await log.clusterId(), topics), topics);
  const ends = await log.bounds([topic]);
  console.log(
    `bench/resume/event_loop: one read-back of ${MISSED.toLocaleString('en')} events from Kafka, ${REPS} runs each (load ${(await import('node:os')).loadavg()[0]!.toFixed(1)})`,
  );
  const modes = [false, true].filter((t) => values.only === undefined || values.only === (t ? 'thread' : 'loop'));
  // One reader per mode for every run, each first read once unmeasured: what is measured is a
  // read-back on a running gateway, not the thread's start nor the code's first compilation.
  const readers = new Map(
    modes.map((thread) => [
      thread,
      new LogReader({ log, worker: thread ? { brokers: brokers.split(','), clientId: 'bench-resume-loop' } : undefined, logger }),
    ]),
  );
  for (const [, reader] of readers) await readBack(log, codec, ends, reader);
  for (let rep = 0; rep < REPS; rep++) {
    for (const thread of modes) {
      const { loopMs, cpuMs, wallMs, replayed } = await readBack(log, codec, ends, readers.get(thread)!);
      const perEvent = (ms: number) => `${((ms * 1000) / replayed).toFixed(1).padStart(5)} µs per event`;
      console.log(
        `  ${thread ? 'read-back thread     ' : 'all on the event loop'}: event loop ${loopMs.toFixed(0).padStart(5)} ms = ${perEvent(loopMs)}; process CPU (every thread) ${perEvent(cpuMs)}; wall ${wallMs.toFixed(0)} ms; ${replayed} replayed`,
      );
    }
  }
  for (const [, reader] of readers) await reader.close();
  await log.close();
} finally {
  await bus.close();
  await deleteBenchTopics(brokers, prefix);
}
