import { prediction } from '@marketpulse/proto';
import {
  createBus,
  createLogger,
  HealthMonitor,
  openDatabase,
  startGrpcServer,
  TraceCarryover,
  type Bus,
  type Database,
  type Logger,
} from '@marketpulse/runtime';
import type { PredictionConfig } from './config';
import { PredictionFeed } from './feed';
import { predictionServiceImplementation } from './grpc/prediction_service';
import { TickIngest } from './ingest';
import { ModelLifecycle } from './lifecycle/lifecycle';
import { INTERVAL_Z } from './model/forecast';
import { EventOutbox } from './outbox';
import { PredictionPublisher } from './publisher';
import { Predictor } from './predictor';
import { SqlPredictionStore } from './store/store_sql';

export interface PredictionDeps {
  bus?: Bus;
  db?: Database;
  logger?: Logger;
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
  const logger = deps.logger ?? createLogger(config.SERVICE_NAME);
  const source = config.SERVICE_NAME;
  const level = Number(config.PREDICTION_INTERVAL_LEVEL);
  const z = INTERVAL_Z[config.PREDICTION_INTERVAL_LEVEL];
  const cleanups: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err: unknown) => logger.warn({ err }, 'error while stopping'));
  };

  try {
    const db = deps.db ?? (await openDatabase({ service: config.SERVICE_NAME, url: config.DATABASE_URL, dataDir: config.PGLITE_DIR, logger }));
    if (!deps.db) cleanups.push(() => db.close());
    const store = new SqlPredictionStore(db);
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

    const bus = deps.bus ?? createBus(config, logger);
    if (!deps.bus) cleanups.push(() => bus.close());

    const feed = new PredictionFeed();
    // Publishes what a previous run committed but did not get out, then whatever is left every retry interval.
    const outbox = new EventOutbox({ store, publish: (e) => bus.publish(e), logger, retryMs: config.PREDICTION_OUTBOX_RETRY_MS });
    outbox.start();
    cleanups.push(() => outbox.stop());
    const lifecycle = new ModelLifecycle({ store, predictor, flushOutbox: () => outbox.flush(), logger, source, z });
    cleanups.push(() => lifecycle.drain());

    const grpcServer = await startGrpcServer({
      port: config.GRPC_PORT,
      host: config.GRPC_HOST,
      services: [
        {
          definition: prediction.PredictionServiceService,
          implementation: predictionServiceImplementation({ predictor, lifecycle, feed, logger }),
        },
      ],
      initialStatus: 'NOT_SERVING',
      logger,
    });
    cleanups.push(() => grpcServer.close());

    const health = new HealthMonitor({
      components: [
        { name: 'bus', check: () => bus.health() },
        { name: 'database', check: () => db.health() },
      ],
      intervalMs: config.HEALTH_CHECK_INTERVAL_MS,
      logger,
      grpcHealth: grpcServer.health,
    });
    await health.start();
    cleanups.push(async () => health.stop());

    const subscription = await bus.subscribe({
      groupId: config.PREDICTION_CONSUMER_GROUP,
      types: ['market_data_update'],
      // A group's first start learns from whatever history the broker still retains.
      fromBeginning: true,
      handler: ingest.handle,
    });
    cleanups.push(() => subscription.close());

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
    cleanups.push(() => publisher.stop());

    return { grpcPort: grpcServer.port, predictor, lifecycle, outbox, publisher, health, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

