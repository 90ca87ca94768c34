import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { startInServiceScope, TraceCarryover, type Database, type HealthMonitor, type ServiceScopeDeps } from '@marketpulse/runtime';
import type { PredictionConfig } from './config';
import { PredictionFeed } from './feed';
import { predictionService } from './grpc/server';
import { TickIngest } from './ingest';
import { ModelLifecycle } from './lifecycle/lifecycle';
import { INTERVAL_Z } from './model/forecast';
import { EventOutbox } from './outbox';
import { PredictionPublisher } from './publisher';
import { Predictor } from './predictor';
import { SqlPredictionStore } from './store/store_sql';

/** What a caller may lend the service (the one-process suite, tests); lent resources are left open on close. */
export interface PredictionDeps extends ServiceScopeDeps {
  db?: Database;
}

export interface PredictionHandle {
  /** Port the gRPC server listens on (useful with GRPC_PORT=0). */
  grpcPort: number;
  predictor: Predictor;
  lifecycle: ModelLifecycle;
  outbox: EventOutbox;
  publisher: PredictionPublisher;
  health: HealthMonitor;
  close(): Promise<void>;
}

/**
 * Starts the prediction service: restores models from the database, consumes ticks from the
 * committed offsets of its consumer group, publishes forecasts on a cadence and serves gRPC.
 * Given deps (the one-process suite) are used and left open on close; the ones it creates it closes.
 */
export async function startPrediction(config: PredictionConfig, deps: PredictionDeps = {}): Promise<PredictionHandle> {
  const source = config.SERVICE_NAME;
  const level = Number(config.PREDICTION_INTERVAL_LEVEL);
  const z = INTERVAL_Z[config.PREDICTION_INTERVAL_LEVEL];

  return startInServiceScope('prediction', config, deps, async (scope) => {
    const { logger, bus, db } = scope;
    const store = new SqlPredictionStore(db, {
      versions: config.PREDICTION_MAX_VERSIONS_PER_SYMBOL,
      backtests: config.PREDICTION_MAX_BACKTESTS_PER_SYMBOL,
    });
    await store.migrate();

    const predictor = new Predictor({
      level,
      z,
      defaultHorizonS: config.PREDICTION_HORIZON_S,
      maxHorizonS: config.PREDICTION_MAX_HORIZON_S,
      historyTicks: config.PREDICTION_HISTORY_MAX_TICKS,
    });
    const carry = new TraceCarryover();
    const ingest = new TickIngest({ store, predictor, logger, historyTicks: config.PREDICTION_HISTORY_MAX_TICKS, carry });
    const restored = await ingest.restore();
    logger.info({ symbols: restored }, 'models restored from the database');

    const feed = new PredictionFeed();
    // Publishes what a previous run committed but did not get out, then whatever is left every retry interval.
    const outbox = new EventOutbox({ store, publish: (e) => bus.publish(e), logger, retryMs: config.PREDICTION_OUTBOX_RETRY_MS });
    outbox.start();
    scope.onClose(() => outbox.stop());
    const lifecycle = new ModelLifecycle({
      store,
      predictor,
      flushOutbox: () => outbox.flush(),
      logger,
      source,
      z,
      runner: `${hostname()}/${process.pid}/${randomUUID()}`,
      backtestLeaseMs: config.PREDICTION_BACKTEST_LEASE_MS,
    });
    scope.onClose(() => lifecycle.drain());
    await lifecycle.start();

    const grpcServer = await scope.serveGrpc([
      predictionService({ predictor, lifecycle, feed, logger, streamBuffer: config.GRPC_STREAM_BUFFER_MESSAGES }),
    ]);
    const health = await scope.startHealth(grpcServer);

    const subscription = await bus.subscribe({
      groupId: config.PREDICTION_CONSUMER_GROUP,
      types: ['market_data_update'],
      // A group's first start learns from whatever history the broker still retains.
      fromBeginning: true,
      handler: ingest.handle,
      healthy: async () => (await db.health()).ok,
    });
    scope.onClose(() => subscription.close());

    const publisher = new PredictionPublisher({
      predictor,
      feed,
      publish: (events) => bus.publish(events),
      carry,
      logger,
      source,
      intervalMs: config.PREDICTION_INTERVAL_MS,
      horizonS: config.PREDICTION_HORIZON_S,
    });
    publisher.start();
    scope.onClose(() => publisher.stop());

    return { grpcPort: grpcServer.port, predictor, lifecycle, outbox, publisher, health, close: scope.close };
  });
}
