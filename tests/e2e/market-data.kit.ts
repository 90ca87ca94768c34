// Shared by the market-data end-to-end suites: the service over the run's real Kafka and
// PostgreSQL, and an independent kafkajs consumer reading back what it published.
import * as grpc from '@grpc/grpc-js';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { events, market } from '@marketpulse/proto';
import { createLogger, createTopicsWithLeaders } from '@marketpulse/runtime';
import { loadConfig, startMarketData, type MarketDataDeps, type MarketDataHandle } from '@marketpulse/market-data';
import { createTestDatabase, kafkaBrokers, sliceServiceEnv, uniqueTopicPrefix, waitFor, type TestDatabase } from '../harness';

export const EVENT_TYPES = ['market_data_update', 'aggregation', 'data_quality_issue'] as const;

export interface Slice {
  prefix: string;
  db: TestDatabase;
}

/** A topic prefix and database of the suite's own, with the event topics created up front. */
export async function newSlice(label: string, partitions = 3): Promise<Slice> {
  const prefix = uniqueTopicPrefix(label);
  const kafka = new Kafka({ clientId: `${label}-admin`, brokers: kafkaBrokers().split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = EVENT_TYPES.map((t) => prefix + t);
    await createTopicsWithLeaders(
      admin,
      topics.map((topic) => ({ topic, numPartitions: partitions })),
    );
  } finally {
    await admin.disconnect();
  }
  return { prefix, db: await createTestDatabase(label) };
}

/** Environment of a market-data process on the slice (Kafka bus, the slice's database). */
export function serviceEnv(slice: Slice, env: Record<string, string> = {}): Record<string, string> {
  return sliceServiceEnv(slice, { KAFKA_PARTITIONS: '3', ...env });
}

export function startService(slice: Slice, env: Record<string, string> = {}, deps: MarketDataDeps = {}): Promise<MarketDataHandle> {
  return startMarketData(loadConfig(serviceEnv(slice, env)), { logger: createLogger('market-data-e2e', {}, { level: 'warn' }), ...deps });
}

export interface Received {
  ticks: market.Tick[];
  candles: market.Candle[];
  issues: market.DataQualityIssue[];
  /** Records whose Kafka key is not the symbol they are about. */
  misKeyed: number;
  close(): Promise<void>;
}

/** Reads the slice's event topics from the beginning, in partition order, into arrays. */
export async function readEvents(slice: Slice): Promise<Received> {
  const kafka = new Kafka({ clientId: 'market-data-e2e-reader', brokers: kafkaBrokers().split(','), logLevel: logLevel.NOTHING });
  const consumer: Consumer = kafka.consumer({ groupId: `${slice.prefix}reader`, sessionTimeout: 10_000 });
  const received: Received = { ticks: [], candles: [], issues: [], misKeyed: 0, close: () => consumer.disconnect() };
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
  await consumer.connect();
  await consumer.subscribe({ topics: EVENT_TYPES.map((t) => slice.prefix + t), fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const event = events.Event.decode(message.value!);
      if (String(message.key) !== event.subject) received.misKeyed++;
      switch (event.payload?.$case) {
        case 'market_data_update':
          if (event.subject !== event.payload.market_data_update.symbol) received.misKeyed++;
          received.ticks.push(event.payload.market_data_update);
          break;
        case 'aggregation':
          received.candles.push(event.payload.aggregation);
          break;
        case 'data_quality_issue':
          received.issues.push(event.payload.data_quality_issue);
          break;
        default:
          // Another service's event types: not what this kit reads.
          break;
      }
    },
  });
  await waitFor(() => joined, { timeoutMs: 30_000, what: 'the test consumer joining its group' });
  return received;
}

/** How many ticks the slice's tick topic holds now (the sum of its partitions' end offsets). */
export async function ticksOnKafka(slice: Slice): Promise<number> {
  const kafka = new Kafka({ clientId: 'market-data-e2e-offsets', brokers: kafkaBrokers().split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(`${slice.prefix}market_data_update`);
    return offsets.reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Ticks grouped by symbol, in the order they were read. */
export function bySymbol(ticks: market.Tick[]): Map<string, market.Tick[]> {
  const out = new Map<string, market.Tick[]>();
  for (const t of ticks) {
    const list = out.get(t.symbol) ?? [];
    list.push(t);
    out.set(t.symbol, list);
  }
  return out;
}

export type MarketClient = market.MarketDataServiceClient;

export function marketClient(port: number): MarketClient {
  return new market.MarketDataServiceClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}

export { unary } from '../harness';
