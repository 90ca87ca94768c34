/**
 * Ticks per second through market-data into Kafka on this machine.
 *
 *   node bench/market-data/bench.mts        (after `pnpm run build`; Kafka on KAFKA_BROKERS, default 127.0.0.1:9092)
 *
 * Starts the service in this process with the real Kafka bus (a fresh topic prefix) and PGlite in a
 * temp folder (or DATABASE_URL), and drives it with the deterministic simulated market as fast as
 * the bus takes the ticks (the feed waits while more than BENCH_BACKLOG events are unpublished).
 * Each tick goes through the whole hot path: data-quality rules, sequence, quote, three candle
 * windows, event envelope, then a protobuf record on Kafka with acks=all.
 * Printed figures:
 *   - kafka: ticks/s acknowledged by Kafka, counted from the topic's offsets, over BENCH_DURATION_MS;
 *   - hot path: ticks/s through the per-tick pipeline with a bus that discards (no I/O), the ceiling.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { deleteBenchTopics } from '../kafka_cleanup.mts';
import { createLogger, type Bus } from '@marketpulse/runtime';
import {
  loadConfig,
  SimulatedMarket,
  startMarketData,
  type MarketDataProvider,
  type ProviderStats,
  type TickSink,
} from '@marketpulse/market-data';

const SYMBOLS = (process.env.BENCH_SYMBOLS ?? 'AAPL,MSFT,GOOGL,AMZN,TSLA,BTC-USD,ETH-USD').split(',');
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 10_000);
const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 20_000);
const BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';

const line = (name: string, value: number, unit: string, extra: Record<string, unknown> = {}) =>
  console.log(JSON.stringify({ bench: 'market-data', name, value: Math.round(value), unit, ...extra }));

/** The simulated market played flat out, pausing whenever `room()` says the bus is behind. */
class FlatOutFeed implements MarketDataProvider {
  readonly name = 'simulated';
  readonly liveClock = false;
  ticks = 0;
  private running = false;
  private sink: TickSink | undefined;
  private readonly market: SimulatedMarket;
  private readonly symbolList: string[];

  constructor(symbols: string[]) {
    this.symbolList = symbols;
    // Ticks 1 ms apart per symbol: a dense series that still closes 1 s candles as it goes.
    this.market = new SimulatedMarket({ symbols, ticksPerSecond: 1000, seed: 42, startTimeMs: Date.now() });
  }

  symbols(): string[] {
    return this.symbolList;
  }

  async start(sink: TickSink): Promise<void> {
    this.sink = sink;
  }

  async run(untilMs: number, room: () => Promise<void>): Promise<void> {
    this.running = true;
    while (this.running && performance.now() < untilMs) {
      for (let i = 0; i < 100; i++) {
        for (const tick of this.market.nextStep()) this.sink!(tick);
        this.ticks += this.symbolList.length;
      }
      await room();
    }
  }

  async stop(): Promise<void> {
    this.running = false;
  }

  stats(): ProviderStats {
    return {
      provider: this.name,
      connected: this.running,
      calls: this.ticks,
      failures: 0,
      ticks: this.ticks,
      lastLatencyMs: 0,
      avgLatencyMs: 0,
      p50LatencyMs: 0,
      p95LatencyMs: 0,
      p99LatencyMs: 0,
      maxLatencyMs: 0,
      lastError: '',
      lastErrorAtMs: 0,
      lastCallAtMs: 0,
      startedAtMs: 0,
    };
  }
}

/** Records on `${prefix}market_data_update`; the run's topics are deleted afterwards. */
async function ticksInKafka(prefix: string): Promise<number> {
  const kafka = new Kafka({ clientId: 'market-data-bench', brokers: BROKERS.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(`${prefix}market_data_update`);
    return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
    await deleteBenchTopics(BROKERS, prefix);
  }
}

async function runOnce(bus: 'kafka' | 'discard'): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'market-data-bench-'));
  const prefix = `bench.md.${Date.now().toString(36)}.`;
  const logger = createLogger('market-data-bench', {}, { level: 'warn' });
  const config = loadConfig({
    ...process.env,
    BUS: 'kafka',
    KAFKA_BROKERS: BROKERS,
    KAFKA_TOPIC_PREFIX: prefix,
    GRPC_PORT: '0',
    PGLITE_DIR: dir,
    MARKET_SYMBOLS: SYMBOLS.join(','),
    // The flat-out feed is deliberately unrealistic; keep the stale-feed rule quiet about it.
    MARKET_STALE_MS: '3600000',
  });
  const discard: Bus = {
    publish: async () => undefined,
    subscribe: async () => ({ close: async () => undefined }),
    health: async () => ({ ok: true, detail: 'discarding bus' }),
    close: async () => undefined,
  };
  const feed = new FlatOutFeed(SYMBOLS);
  const service = await startMarketData(config, { logger, provider: feed, ...(bus === 'discard' ? { bus: discard } : {}) });
  let elapsedMs: number;
  try {
    const started = performance.now();
    await feed.run(started + DURATION_MS, () => service.publisher.whenBelow(BACKLOG));
    await service.publisher.drain();
    elapsedMs = performance.now() - started;
  } finally {
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  }
  if (bus === 'kafka') {
    const acked = await ticksInKafka(prefix);
    line('kafka (ticks acknowledged by Kafka, acks=all)', (acked * 1000) / elapsedMs, 'ticks/s', {
      ticks: acked,
      produced: feed.ticks,
      symbols: SYMBOLS.length,
      seconds: Number((elapsedMs / 1000).toFixed(1)),
      partitions: config.KAFKA_PARTITIONS,
      database: config.DATABASE_URL ? 'postgres' : 'pglite',
    });
  } else {
    line('hot path (quality, quote, candles, envelope; bus discards)', (feed.ticks * 1000) / elapsedMs, 'ticks/s', { ticks: feed.ticks });
  }
}

async function main(): Promise<void> {
  await runOnce('kafka');
  await runOnce('discard');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
