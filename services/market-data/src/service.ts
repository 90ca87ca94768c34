import { startInServiceScope, type Database, type HealthMonitor, type ServiceScopeDeps } from '@marketpulse/runtime';
import type { MarketDataConfig } from './config';
import { MarketDataEngine } from './engine';
import { marketDataService } from './grpc/server';
import { createProvider } from './providers/create_provider';
import type { MarketDataProvider } from './providers/provider';
import { openEventPublisher } from './open_publisher';
import type { EventPublisher } from './publisher';
import { MarketDataStore } from './store';

/** What a caller may lend the service (the one-process suite, tests); lent resources are left open on close. */
export interface MarketDataDeps extends ServiceScopeDeps {
  db?: Database;
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
  return startInServiceScope('market-data', config, deps, async (scope) => {
    const { logger, bus, db } = scope;
    const store = new MarketDataStore(db);
    await store.migrate();
    const publisher = await openEventPublisher(config, { bus, logger, durable: !deps.bus });
    // Registered as soon as it exists, so a start that fails later still releases the spool's lock.
    // It runs after the feed has stopped (engine.stop is added later, so runs earlier) and before
    // the bus closes: what the feed left is published or spooled.
    scope.onClose(async () => {
      const left = await publisher.close(CLOSE_PUBLISH_TIMEOUT_MS);
      if (left > 0) logger.error({ unpublished: left }, 'bus did not accept every pending event before shutdown');
    });
    const engine = new MarketDataEngine({
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
    const provider =
      deps.provider ??
      createProvider(config, {
        initialPrices: Object.fromEntries(engine.quotes.all().map((q) => [q.symbol, q.price])),
        onReplayEnd: () => logger.info({ file: config.MARKET_REPLAY_FILE }, 'replay file played to its end'),
      });

    const grpc = await scope.serveGrpc([
      marketDataService({ engine, store, symbols: config.MARKET_SYMBOLS, logger, streamBuffer: config.GRPC_STREAM_BUFFER_MESSAGES }),
    ]);
    scope.onClose(() => engine.stop());
    const health = await scope.startHealth(grpc);
    await engine.start(provider);
    logger.info({ provider: provider.name, symbols: provider.symbols(), grpcPort: grpc.port }, 'market data flowing');

    return { grpcPort: grpc.port, engine, publisher, provider, health, close: scope.close };
  });
}
