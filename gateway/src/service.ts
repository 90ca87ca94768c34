import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  createBus,
  createLogger,
  EVENT_TYPES,
  HealthMonitor,
  topicFor,
  registerWebSocketMetrics,
  serveHealth,
  setHttpRouteResolver,
  type Bus,
  type Database,
  type Logger,
  type Subscription,
} from '@marketpulse/runtime';
import { createApiMount, type ApiMount } from './api/mount';
import type { ApiHandle } from './api/start_api';
import { authenticatorFromConfig } from './auth';
import type { GatewayConfig } from './config';
import { startEventConsumer } from './events/consumer';
import { dashboardRoutes } from './http/dashboard';
import { healthRoute } from './http/health';
import { infoRoute } from './http/info';
import { operatorOnly } from './http/operator_only';
import { HttpRouter } from './http/router';
import { AccessLog } from './observability/access_log';
import { gatewayDependencies } from './observability/dependencies';
import { gatewayRouteResolver } from './observability/route_names';
import { startHttpServer, type HttpServerHandle } from './http/server';
import { wsStatsRoute } from './http/ws_stats';
import { createPredictionClient, type PredictionClient } from './prediction_client';
import { alertsDoor } from './ws/doors/alerts';
import { createLiveDoor } from './ws/doors/live';
import { marketDataDoor } from './ws/doors/market_data';
import { createPredictionsDoor, type GetPrediction } from './ws/doors/predictions';
import { createStreamDoor } from './ws/doors/stream';
import { tradingDoor } from './ws/doors/trading';
import { Hub } from './ws/hub';
import { createMarketSymbols } from './ws/market_symbols';
import { SymbolCatalog } from './ws/symbol_catalog';
import { KafkaLog } from './ws/history/kafka_log';
import { KafkaResume } from './ws/history/kafka_resume';
import { PositionIndex } from './ws/history/positions';
import { resumeMetrics } from './ws/history/resume_metrics';
import { flushLongBurst } from './ws/send_queue';
import { WsGateway } from './ws/ws_gateway';

export interface GatewayDeps {
  /** Shared bus (the one-process suite); otherwise the gateway creates its own from config. */
  bus?: Bus;
  /** The gateway's database (API keys); otherwise opened from DATABASE_URL / PGLITE_DIR. */
  db?: Database;
  logger?: Logger;
  /** Replaces the gRPC call to the prediction service (tests, the suite). */
  getPrediction?: GetPrediction;
  /** Replaces market-data's ListSymbols behind the symbol doors' unknown-symbol check (none with api false). */
  listSymbols?: () => Promise<readonly string[]>;
  /**
   * The request side (REST, tRPC, docs, /metrics, publish gRPC): built from config when absent;
   * a test's own createApiMount (fake services); false for the WebSocket side alone (benchmarks).
   */
  api?: ApiMount | false;
}

export interface GatewayHandle {
  port: number;
  /** Port of the native protocol server, when WS_NATIVE_PORT enables it. */
  nativePort: number | undefined;
  instanceId: string;
  /** Mount more HTTP routes here (tRPC, REST, docs); they are live at once. */
  router: HttpRouter;
  hub: Hub;
  /** The API mounted on the HTTP server (undefined with deps.api false). */
  api: ApiHandle | undefined;
  /** The bus the gateway consumes from (its own, or the one passed in deps). */
  bus: Bus;
  ws: WsGateway;
  health: HealthMonitor;
  /** Resolves once the bus consumer is subscribed: events published from then on reach clients. */
  consuming: Promise<void>;
  close(): Promise<void>;
}

/** Pause between attempts to subscribe while the broker is unreachable. */
const CONSUMER_RETRY_MS = 3000;

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * Starts the edge: one HTTP server (doors, /health, /info, /ws/stats and the API), the hub and its
 * bus consumer, and the publish gRPC server; one authenticator serves the API and the doors.
 */
export async function startGateway(config: GatewayConfig, deps: GatewayDeps = {}): Promise<GatewayHandle> {
  const logger = deps.logger ?? createLogger(config.SERVICE_NAME);
  const bus = deps.bus ?? createBus(config, logger);
  const ownsBus = deps.bus === undefined;
  const instanceId = config.GATEWAY_INSTANCE_ID ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const predictionClient: PredictionClient | undefined = deps.getPrediction
    ? undefined
    : createPredictionClient(config.PREDICTION_GRPC_ADDR);
  const getPrediction = deps.getPrediction ?? predictionClient!.getPrediction;
  const symbolSource =
    deps.listSymbols || deps.api === false || !config.WS_CLOSE_UNKNOWN_SYMBOLS
      ? undefined
      : createMarketSymbols(config.MARKET_DATA_GRPC_ADDR);
  const listSymbols = deps.listSymbols ?? symbolSource?.list;
  const symbols = listSymbols ? new SymbolCatalog(listSymbols) : undefined;

  const hub = new Hub(config.WS_HISTORY_SIZE, flushLongBurst, config.WS_HISTORY_MAX_AGE_MS);
  // Resume past the in-memory history: ids mapped to Kafka positions, read back on demand.
  const positions = new PositionIndex({ capacity: config.WS_RESUME_INDEX_SIZE, maxAgeMs: config.WS_RESUME_INDEX_MAX_AGE_MS });
  const kafkaLog =
    config.BUS === 'kafka'
      ? new KafkaLog(
          config.KAFKA_BROKERS.split(',').map((b) => b.trim()),
          `${config.KAFKA_CLIENT_ID ?? config.SERVICE_NAME}-history`,
        )
      : undefined;
  const topicOf = (type: string) => topicFor(config.KAFKA_TOPIC_PREFIX, type);
  const metricsOfResume = resumeMetrics({ history: () => hub.historySizes(), index: () => positions.size });
  const kafkaResume = kafkaLog
    ? new KafkaResume({
        log: kafkaLog,
        index: positions,
        topicOf,
        eventTypes: EVENT_TYPES,
        ratePerSecond: config.WS_RESUME_READ_RATE,
        chunk: config.WS_RESUME_READ_CHUNK,
        maxConcurrent: config.WS_RESUME_MAX_READS,
        queueLimitBytes: config.WS_SEND_QUEUE_BYTES,
        metrics: metricsOfResume,
        logger,
      })
    : undefined;
  hub.kafkaResume = kafkaResume;
  /** Set once the consumer is positioned (and, on Kafka, the history warmed): readiness and the doors wait for it. */
  let positioned = false;
  const router = new HttpRouter({ maxBodyBytes: config.HTTP_MAX_BODY_BYTES, logger });
  const apiMount = deps.api === false ? undefined : (deps.api ?? createApiMount(config, { db: deps.db, version: packageVersion() }));
  try {
    await apiMount?.mount(router, { hub, bus, logger });
  } catch (err) {
    predictionClient?.close();
    symbolSource?.close();
    if (ownsBus) await bus.close();
    throw err;
  }
  const streamDoor = createStreamDoor(config.WS_MAX_SUBSCRIPTIONS_PER_CONNECTION);
  // Without the API there is no key store: JWTs and configured keys only.
  const wsAuthenticator = apiMount?.handle?.authenticator ?? authenticatorFromConfig(config);
  const accessLog = new AccessLog({ logger, sampleRatio: config.ACCESS_LOG_SAMPLE_RATIO });
  if (apiMount) setHttpRouteResolver(gatewayRouteResolver(packageVersion()));
  let activeClients = () => 0;
  const ws = new WsGateway({
    hub,
    doors: [
      marketDataDoor,
      createPredictionsDoor(getPrediction),
      alertsDoor,
      tradingDoor,
      createLiveDoor(() => activeClients()),
      streamDoor,
    ],
    authenticator: wsAuthenticator,
    authRequired: config.WS_AUTH_REQUIRED,
    authTimeoutMs: config.WS_AUTH_TIMEOUT_MS,
    maxConnections: config.WS_MAX_CONNECTIONS,
    maxConnectionsPerAddress: config.WS_MAX_CONNECTIONS_PER_ADDRESS,
    unverifiedPerMinute: config.API_RATE_LIMIT_PER_MINUTE,
    unverifiedBurst: config.API_RATE_LIMIT_BURST,
    maxMessageBytes: config.WS_MAX_MESSAGE_BYTES,
    sendQueueBytes: config.WS_SEND_QUEUE_BYTES,
    rateLimitPerMinute: config.WS_RATE_LIMIT,
    allowedOrigins: config.WS_ALLOWED_ORIGINS,
    deflate: config.WS_DEFLATE,
    pingIntervalMs: config.WS_PING_INTERVAL_MS,
    pongTimeoutMs: config.WS_PONG_TIMEOUT_MS,
    logger,
    accessLog,
    symbols,
    resumeMetrics: metricsOfResume,
    ready: () => positioned,
  });
  activeClients = () => ws.size;
  registerWebSocketMetrics(() => {
    const stats = ws.stats();
    return { ...stats, counters: stats.counters as unknown as Record<string, number> };
  });

  let subscription: Subscription | undefined;
  let stopped = false;
  let consumerError = 'not subscribed yet';

  const dependencies = gatewayDependencies(config, apiMount?.handle);
  const health = new HealthMonitor({
    intervalMs: config.HEALTH_CHECK_INTERVAL_MS,
    logger,
    service: config.SERVICE_NAME,
    components: [
      { name: 'bus', check: () => bus.health() },
      {
        name: 'event_consumer',
        check: async () =>
          subscription && positioned ? { ok: true, detail: 'subscribed to every event topic' } : { ok: false, detail: consumerError },
      },
      ...dependencies.components,
      // Without the API the predictions door still calls prediction (unless a test stands in for it).
      ...(predictionClient && !apiMount?.handle ? [{ name: 'prediction', check: () => predictionClient.health() }] : []),
    ],
  });
  void health.start();

  const consuming = (async () => {
    while (!stopped) {
      try {
        consumerError = kafkaLog ? 'warming the history from Kafka' : 'subscribing';
        subscription = await startEventConsumer({
          bus,
          hub,
          groupId: `${config.SERVICE_NAME}-${instanceId}`,
          logger,
          history: {
            index: positions,
            log: kafkaLog,
            topicOf,
            warmCount: config.WS_HISTORY_WARM_COUNT,
            warmAgeMs: config.WS_HISTORY_WARM_AGE_MS,
          },
        });
        if (stopped) await subscription.close();
        else {
          positioned = true;
          logger.info({ group: `${config.SERVICE_NAME}-${instanceId}` }, 'consuming events');
          // A round already in flight saw no subscription yet; follow it with a fresh one.
          void health.checkNow().then(() => health.checkNow());
        }
        return;
      } catch (err) {
        consumerError = err instanceof Error ? err.message : String(err);
        logger.warn({ err: consumerError, retry_ms: CONSUMER_RETRY_MS }, 'cannot subscribe to the event topics yet; retrying');
        await new Promise((r) => setTimeout(r, CONSUMER_RETRY_MS));
      }
    }
  })();

  let native: HttpServerHandle | undefined;
  const startedAt = new Date();
  const operator = operatorOnly({ required: config.WS_AUTH_REQUIRED, authenticator: wsAuthenticator });
  let http: HttpServerHandle;
  try {
    router
      .route('GET', '/health', healthRoute(health, ws))
      .route('GET', '/livez', (req, res) => void serveHealth(req, res, { monitor: health, service: config.SERVICE_NAME }))
      .route('GET', '/readyz', (req, res) => void serveHealth(req, res, { monitor: health, service: config.SERVICE_NAME }))
      .route(
        'GET',
        '/info',
        operator(
          infoRoute(config, {
            instanceId,
            version: packageVersion(),
            startedAt,
            websocketPaths: ['/ws/market-data/{symbol}', '/ws/predictions/{symbol}', '/ws/alerts', '/ws', '/ws/live', '/ws/stream'],
            nativePort: () => native?.port,
          }),
        ),
      )
      .route('GET', '/ws/stats', operator(wsStatsRoute(config, ws, hub)));
    // The dashboard: the page at / for browsers (JSON clients still get the root listing), its files under /dashboard/.
    const dashboard = dashboardRoutes();
    router.route('GET', '/', dashboard.root).mount('/dashboard', dashboard.files);
    http = await startHttpServer({
      host: config.GATEWAY_HOST,
      port: config.GATEWAY_PORT,
      router,
      upgrade: (req, socket, head) => ws.handleUpgrade(req, socket, head),
      accessLog,
    });
    if (config.WS_NATIVE_PORT > 0) {
      native = await startHttpServer({
        host: config.GATEWAY_HOST,
        port: config.WS_NATIVE_PORT,
        upgrade: (req, socket, head) => ws.handleUpgrade(req, socket, head, streamDoor),
      });
    }
  } catch (err) {
    stopped = true;
    health.stop();
    dependencies.close();
    await ws.close();
    await apiMount?.close();
    predictionClient?.close();
    symbolSource?.close();
    if (ownsBus) await bus.close();
    throw err;
  }

  return {
    port: http.port,
    nativePort: native?.port,
    instanceId,
    router,
    hub,
    api: apiMount?.handle,
    bus,
    ws,
    health,
    consuming,
    async close() {
      stopped = true;
      health.stop();
      dependencies.close();
      await ws.close();
      await Promise.all([http.close(), native?.close()]);
      await subscription?.close();
      await kafkaLog?.close();
      await apiMount?.close();
      predictionClient?.close();
      symbolSource?.close();
      if (ownsBus) await bus.close();
    },
  };
}
