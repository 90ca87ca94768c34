import { market } from '@marketpulse/proto';
import {
  HealthMonitor, createBus, createLogger, openDatabase, startGrpcServer,
  type Bus, type Database, type GrpcServerHandle, type Logger,
} from '@marketpulse/runtime';
import type { MarketDataConfig } from './config';
import { MarketDataEngine } from './engine';
import { marketDataService } from './grpc_service';
import { createProvider } from './providers/create_provider';
import type { MarketDataProvider } from './providers/provider';
import { openEventPublisher } from './open_publisher';
import type { EventPublisher } from './publisher';
import { MarketDataStore } from './store';

export interface MarketDataDeps {
  bus?: Bus;
  db?: Database;
  logger?: Logger;
  /** A provider built by the caller (tests, benchmarks); otherwise MARKET_PROVIDER decides. */
  provider?: MarketDataProvider;
}

export interface MarketDataHandle {
  grpcPort: number;
  engine: MarketDataEngine;
  publisher: EventPublisher;
  provider: MarketDataProvider;
  health: HealthMonitor;
  /** Stops the feed, publishes and saves what is pending, then releases what it opened. */
  close(): Promise<void>;
}

/** How long close() waits for the bus to take the events still queued. */
const CLOSE_PUBLISH_TIMEOUT_MS = 10_000;

export async function startMarketData(config: MarketDataConfig, deps: MarketDataDeps = {}): Promise<MarketDataHandle> {
  const logger = deps.logger ?? createLogger(config.SERVICE_NAME, {}, { level: config.LOG_LEVEL });
  const bus = deps.bus ?? createBus(config, logger);
  const db = deps.db ?? (await openDatabase({ service: config.SERVICE_NAME, url: config.DATABASE_URL, dataDir: config.PGLITE_DIR, logger }));
  const opened: { close(): Promise<void> }[] = [];
  if (!deps.bus) opened.push(bus);
  if (!deps.db) opened.push(db);
  let grpc: GrpcServerHandle | undefined;
  let health: HealthMonitor | undefined;
  let engine: MarketDataEngine | undefined;
  try {
    const store = new MarketDataStore(db);
    await store.migrate();
    const publisher = await openEventPublisher(config, { bus, logger, durable: !deps.bus });
    engine = new MarketDataEngine({
      source: config.SERVICE_NAME,
      publisher,
      store,
      logger,
      rules: {
        gapMs: config.MARKET_GAP_MS,
        staleMs: config.MARKET_STALE_MS,
        outlierSigma: config.MARKET_OUTLIER_SIGMA,
        outlierWarmup: config.MARKET_OUTLIER_WARMUP,
        outlierWindow: config.MARKET_OUTLIER_WINDOW,
        cooldownMs: config.MARKET_QUALITY_COOLDOWN_MS,
      },
      candleGraceMs: config.MARKET_CANDLE_GRACE_MS,
      persistIntervalMs: config.MARKET_PERSIST_INTERVAL_MS,
      candleRetentionMs: config.MARKET_CANDLE_RETENTION_HOURS * 3_600_000,
    });
    await engine.restore();
    const provider = deps.provider ?? createProvider(config, {
      initialPrices: Object.fromEntries(engine.quotes.all().map((q) => [q.symbol, q.price])),
      onReplayEnd: () => logger.info({ file: config.MARKET_REPLAY_FILE }, 'replay file played to its end'),
    });

    grpc = await startGrpcServer({
      port: config.GRPC_PORT,
      host: config.GRPC_HOST,
      services: [{
        definition: market.MarketDataServiceService,
        implementation: marketDataService({ engine, store, symbols: config.MARKET_SYMBOLS, logger }),
      }],
      initialStatus: 'NOT_SERVING',
      logger,
    });
    health = new HealthMonitor({
      components: [
        { name: 'bus', check: () => bus.health() },
        { name: 'database', check: () => db.health() },
      ],
      intervalMs: config.HEALTH_CHECK_INTERVAL_MS,
      logger,
      grpcHealth: grpc.health,
    });
    await health.start();
    await engine.start(provider);
    logger.info({ provider: provider.name, symbols: provider.symbols(), grpcPort: grpc.port }, 'market data flowing');

    const running = { grpc, health, engine };
    let closing: Promise<void> | undefined;
    return {
      grpcPort: grpc.port,
      engine,
      publisher,
      provider,
      health,
      close: () => (closing ??= (async () => {
        running.health.stop();
        await running.engine.stop();
        const left = await publisher.close(CLOSE_PUBLISH_TIMEOUT_MS);
        if (left > 0) logger.error({ unpublished: left }, 'bus did not accept every pending event before shutdown');
        await running.grpc.close();
        for (const resource of opened.reverse()) await resource.close();
      })()),
    };
  } catch (error) {
    health?.stop();
    await engine?.stop().catch(() => undefined);
    await grpc?.close().catch(() => undefined);
    for (const resource of opened.reverse()) await resource.close().catch(() => undefined);
    throw error;
  }
}
