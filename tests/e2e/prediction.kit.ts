// Shared by the prediction end-to-end suites: the prediction service as its own process over the
// run's real Kafka and PostgreSQL, an independent kafkajs producer of ticks and a kafkajs reader of
// what the service publishes.
import path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { events } from '@marketpulse/proto';
import { afterAll, beforeAll } from 'vitest';
import { predictionClient, type PredictionApi } from '@marketpulse/prediction';
import { createTopicsWithLeaders } from '@marketpulse/runtime';
import {
  createTestDatabase,
  kafkaBrokers,
  REPO_ROOT,
  sliceServiceEnv,
  startProcess,
  uniqueTopicPrefix,
  waitFor,
  type ManagedProcess,
  type TestDatabase,
} from '../harness';

const TELEMETRY = path.join(REPO_ROOT, 'services/runtime/dist/telemetry/register.js');
const MAIN = path.join(REPO_ROOT, 'services/prediction/dist/main.js');
export const OUTPUT_TYPES = ['prediction_complete', 'model_trained', 'model_deployed', 'backtest_complete'] as const;

export interface Slice {
  prefix: string;
  db: TestDatabase;
  kafka: Kafka;
}

/** A topic prefix and database of the suite's own, with its topics created up front. */
export async function newSlice(label: string): Promise<Slice> {
  const prefix = uniqueTopicPrefix(label);
  const kafka = new Kafka({ clientId: `${label}-e2e`, brokers: kafkaBrokers().split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await createTopicsWithLeaders(
      admin,
      ['market_data_update', ...OUTPUT_TYPES].map((t) => ({ topic: prefix + t, numPartitions: 3 })),
    );
  } finally {
    await admin.disconnect();
  }
  return { prefix, db: await createTestDatabase(label), kafka };
}

export interface RunningService {
  proc: ManagedProcess;
  api: PredictionApi;
  stop(): Promise<void>;
}

/** Starts services/prediction/dist/main.js on the slice and waits for its "ready" line. */
export async function startService(slice: Slice, env: Record<string, string> = {}): Promise<RunningService> {
  const proc = startProcess(
    process.execPath,
    ['--require', TELEMETRY, MAIN],
    sliceServiceEnv(slice, {
      PREDICTION_INTERVAL_MS: '200',
      HEALTH_CHECK_INTERVAL_MS: '1000',
      LOG_LEVEL: 'info',
      OTEL_TRACES_EXPORTER: 'none',
      ...env,
    }),
    { label: 'prediction' },
  );
  const ready = await waitFor(
    async () => {
      const exited = await Promise.race([proc.exited.then(() => true), new Promise<false>((r) => setImmediate(() => r(false)))]);
      if (exited) throw new Error(`prediction exited before ready; see ${proc.logFile}:\n${proc.output().slice(-2000)}`);
      return proc
        .output()
        .split('\n')
        .filter((l) => l.includes('"msg":"ready"'))
        .map((l) => JSON.parse(l) as { grpc_port: number })[0];
    },
    { what: 'the prediction service to log "ready"', timeoutMs: 30_000 },
  );
  const api = predictionClient(`127.0.0.1:${ready.grpc_port}`);
  return {
    proc,
    api,
    stop: async () => {
      api.close();
      await proc.stop();
    },
  };
}

export interface TickFeed {
  send(symbol: string, ticks: { price: number; timeMs: number }[], firstSequence?: number): Promise<void>;
  close(): Promise<void>;
}

/** Publishes ticks as market-data does: Event envelopes, protobuf binary, keyed by symbol. */
export async function tickFeed(slice: Slice): Promise<TickFeed> {
  const producer: Producer = slice.kafka.producer();
  await producer.connect();
  return {
    async send(symbol, ticks, firstSequence = 0) {
      const messages = ticks.map((t, i) => {
        const timestamp = new Date(t.timeMs).toISOString();
        const event: events.Event = {
          id: `${symbol}-${firstSequence + i}`,
          type: 'market_data_update',
          source: 'market-data',
          subject: symbol,
          time: timestamp,
          owner: '',
          payload: {
            $case: 'market_data_update',
            market_data_update: {
              symbol,
              price: t.price,
              volume: 10,
              bid: t.price - 0.01,
              ask: t.price + 0.01,
              timestamp,
              provider: 'e2e',
              sequence: String(firstSequence + i),
            },
          },
        };
        return { key: symbol, value: Buffer.from(events.Event.encode(event).finish()) };
      });
      await producer.send({ topic: slice.prefix + 'market_data_update', acks: -1, messages });
    },
    close: () => producer.disconnect(),
  };
}

export interface Received {
  all: events.Event[];
  close(): Promise<void>;
}

/** Reads the service's output topics from the beginning. */
export async function readOutput(slice: Slice): Promise<Received> {
  const consumer: Consumer = slice.kafka.consumer({ groupId: `${slice.prefix}reader`, sessionTimeout: 10_000 });
  const received: Received = { all: [], close: () => consumer.disconnect() };
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
  await consumer.connect();
  await consumer.subscribe({ topics: OUTPUT_TYPES.map((t) => slice.prefix + t), fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void received.all.push(events.Event.decode(message.value!)) });
  await waitFor(() => joined, { what: 'the output reader to join its group', timeoutMs: 20_000 });
  return received;
}

export interface PredictionRig {
  slice: Slice;
  output: Received;
  service: RunningService;
  feed: TickFeed;
}

/**
 * What a suite of the service's behaviour runs against: its own slice, a reader of the output
 * topics, the service and a tick feed, started in a beforeAll and stopped in an afterAll that this
 * registers. The fields are set once the beforeAll has run.
 */
export function usePredictionRig(label: string): PredictionRig {
  const rig = {} as Partial<PredictionRig>;
  beforeAll(async () => {
    rig.slice = await newSlice(label);
    rig.output = await readOutput(rig.slice);
    rig.service = await startService(rig.slice);
    rig.feed = await tickFeed(rig.slice);
  });
  afterAll(async () => {
    await rig.feed?.close();
    await rig.output?.close();
    await rig.service?.stop();
    await rig.slice?.db.drop();
  });
  return rig as PredictionRig;
}

/** The error of a call expected to fail. */
export async function failureOf(p: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await p;
  } catch (err) {
    return err as grpc.ServiceError;
  }
  throw new Error('expected the call to fail, it succeeded');
}
