import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  EVENT_TYPES,
  HealthMonitor,
  pgliteOnFirstUse,
  ServiceScope,
  topicFor,
  serveHealth,
  setHttpRouteResolver,
  type Bus,
  type Database,
  type Logger,
} from '@marketpulse/runtime';
import { createApiHandler } from './api/handler';
import { SubscriptionSlots } from './api/subscription_slots';
import { createApiMetrics } from './api/metrics';
import { registerWebSocketMetrics } from './observability/websocket_metrics';
import { authenticatorFromConfig, DbApiKeyStore } from './auth';
import type { GatewayConfig } from './config';
import { startEventConsumer } from './events/consumer';
import { ConsumerLoop } from './events/consumer_loop';
import { AllowedHosts } from './http/allowed_hosts';
import { TrustedProxies } from './http/client_address';
import { dashboardRoutes } from './http/dashboard';
import { healthRoute } from './http/health';
import { infoRoute } from './http/info';
import { operatorDetails, operatorOnly } from './http/operator_only';
import { metricsRoute, type MetricsSource } from './http/metrics_route';
import { sendJson } from './http/respond';
import { HttpRouter } from './http/router';
import { AccessLog } from './observability/access_log';
import { gatewayDependencies } from './observability/dependencies';
import { gatewayRouteResolver } from './observability/route_names';
import { startHttpServer, type HttpServerHandle } from './http/server';
import { wsStatsRoute } from './http/ws_stats';
import { openServiceClients } from './open_service_clients';
import { createPredictionClient, type PredictionClient } from './prediction_client';
import { createEventPublisher } from './publish/publisher';
import type { PublishedIds } from './publish/published_ids';
import { DbPublishedIds } from './publish/published_ids_db';
import { MemoryPublishedIds } from './publish/published_ids_memory';
import { startPublishGrpc } from './publish/grpc_server';
import { RateLimiter } from './rate_limit';
import { alertsDoor } from './ws/doors/alerts';
import { createLiveDoor } from './ws/doors/live';
import { marketDataDoor } from './ws/doors/market_data';
import { createPredictionsDoor, type GetPrediction } from './ws/doors/predictions';
import { createStreamDoor } from './ws/doors/stream';
import { tradingDoor } from './ws/doors/trading';
import { Hub } from './ws/hub';
import { KeySessions } from './ws/key_sessions';
import { createMarketSymbols } from './ws/market_symbols';
import { SymbolCatalog } from './ws/symbol_catalog';
import { KafkaLog } from './ws/history/kafka_log';
import { KafkaResume } from './ws/history/kafka_resume';
import { LogReader } from './ws/history/log_reader';
import { PositionIndex } from './ws/history/positions';
import type { ReplayPacing } from './ws/history/replay_pacing';
import { resumeMetrics, type ResumeMetrics } from './ws/history/resume_metrics';
import { flushLongBurst } from './ws/send_queue';
import { WsGateway } from './ws/ws_gateway';

export interface GatewayDeps {
  /** Shared bus (the one-process suite); otherwise the gateway creates its own from config. */
  bus?: Bus;
  /** The gateway's database (API keys, published ids); otherwise DATABASE_URL's, or PGlite in PGLITE_DIR opened on first use. */
  db?: Database;
  logger?: Logger;
  /** Replaces the gRPC call to the prediction service (tests, the suite). */
  getPrediction?: GetPrediction;
  /** Replaces market-data's ListSymbols behind the symbol doors' unknown-symbol check (none with api false). */
  listSymbols?: () => Promise<readonly string[]>;
  /**
   * false: the WebSocket side alone (benchmarks, door tests): no database, no API key store, no
   * REST/tRPC/docs/metrics routes, no publish gRPC server; JWTs and configured keys only.
   */
  api?: false;
  /** A worker of several: its siblings take publishes too, so published ids stay in the shared database even on the in-memory bus. */
  sharedPublishedIds?: true;
  /** What /metrics answers: this process's registry by default; a worker's, every worker's summed (cluster/cluster_metrics.ts). */
  metrics?: MetricsSource;
}

export interface GatewayHandle {
  port: number;
  /** Port of the native protocol server, when WS_NATIVE_PORT enables it. */
  nativePort: number | undefined;
  /** Bound port of the gRPC publish API (undefined with deps.api false). */
  publishPort: number | undefined;
  instanceId: string;
  /** Mount more HTTP routes here; they are live at once. */
  router: HttpRouter;
  hub: Hub;
  /** The bus the gateway consumes from (its own, or the one passed in deps). */
  bus: Bus;
  ws: WsGateway;
  health: HealthMonitor;
  /** Resolves once the bus consumer is subscribed: events published from then on reach clients. */
  consuming: Promise<void>;
  /** Stops everything started, newest first (the scope's close). */
  close(): Promise<void>;
}

/** Pause between attempts to subscribe while the broker is unreachable. */
const CONSUMER_RETRY_MS = 3000;

/** How long the publish gRPC server lets calls in flight finish on close. */
const PUBLISH_GRPC_GRACE_MS = 2000;
/** How often idle hub channels whose history expired are dropped (more often when WS_HISTORY_MAX_AGE_MS is shorter). */
const HUB_SWEEP_INTERVAL_MS = 60_000;

const WEBSOCKET_PATHS = ['/ws/market-data/{symbol}', '/ws/predictions/{symbol}', '/ws/alerts', '/ws', '/ws/live', '/ws/stream'];

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * Starts the edge, the one place the gateway is assembled: on one ServiceScope it opens, in this
 * order, the database, the API-key store and the authenticator (one for the API, the publish API
 * and the doors), the bus and its consumer, the service clients (one prediction client, shared by
 * the API and the predictions door), the publish gRPC server, and one HTTP server carrying the
 * doors, /health, /info, /ws/stats, the dashboard and the API. close() (or a failed start) undoes
 * them newest first.
 */
export async function startGateway(config: GatewayConfig, deps: GatewayDeps = {}): Promise<GatewayHandle> {
  // The publish API is the gateway's gRPC server.
  const scopeConfig = { ...config, GRPC_PORT: config.PUBLISH_GRPC_PORT };
  const lent = { bus: deps.bus, logger: deps.logger };
  // Embedded PGlite starts with the first request that needs it (an API key, a published id): a
  // gateway serving WebSocket clients alone never pays its ~90 MiB (bench/fanout/README.md).
  const embedded =
    deps.api !== false && !deps.db && !config.DATABASE_URL
      ? pgliteOnFirstUse({ service: config.SERVICE_NAME, dataDir: config.PGLITE_DIR })
      : undefined;
  const scope: ServiceScope<Database | undefined> =
    deps.api === false
      ? await ServiceScope.open(config.SERVICE_NAME, scopeConfig, { ...lent, db: null })
      : await ServiceScope.open(config.SERVICE_NAME, scopeConfig, { ...lent, db: deps.db ?? embedded });
  if (embedded) scope.onClose(() => embedded.close());
  try {
    return await assemble(scope, config, deps);
  } catch (err) {
    await scope.close();
    throw err;
  }
}

async function assemble(scope: ServiceScope<Database | undefined>, config: GatewayConfig, deps: GatewayDeps): Promise<GatewayHandle> {
  const { logger, bus, db } = scope;
  const version = packageVersion();
  const instanceId = config.GATEWAY_INSTANCE_ID ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;

  // Database (the scope's), then the API-key store and the one authenticator.
  const apiKeys = db ? await DbApiKeyStore.open(db, { maxPerUser: config.API_KEYS_MAX_PER_USER }) : undefined;
  const authenticator = authenticatorFromConfig(config, apiKeys);

  // The bus's consumer feeds the hub (history and resume past it, from Kafka).
  const hub = new Hub(config.WS_HISTORY_SIZE, flushLongBurst, config.WS_HISTORY_MAX_AGE_MS, config.WS_HUB_MAX_IDLE_CHANNELS);
  // Idle channels whose history expired are dropped on a timer, never per publication (hub.sweep).
  const sweeping = setInterval(() => hub.sweep(), Math.min(config.WS_HISTORY_MAX_AGE_MS, HUB_SWEEP_INTERVAL_MS));
  sweeping.unref();
  scope.onClose(() => clearInterval(sweeping));
  const positions = new PositionIndex({ capacity: config.WS_RESUME_INDEX_SIZE, maxAgeMs: config.WS_RESUME_INDEX_MAX_AGE_MS });
  const metricsOfResume = resumeMetrics({
    history: () => hub.historySizes(),
    held: () => hub.heldPublications(),
    index: () => positions.size,
  });
  // One pacing for every replay to a client, from memory (connection.ts) or Kafka (kafka_resume.ts).
  const replayPacing: ReplayPacing = {
    ratePerSecond: config.WS_RESUME_READ_RATE,
    chunk: config.WS_RESUME_READ_CHUNK,
    queueLimitBytes: config.WS_SEND_QUEUE_BYTES,
    // As long as the heartbeat keeps a client that sends nothing.
    stallMs: config.WS_PING_INTERVAL_MS + config.WS_PONG_TIMEOUT_MS,
  };
  const kafkaLog = openKafkaLog(scope, config);
  const topicOf = (type: string) => topicFor(config.KAFKA_TOPIC_PREFIX, type);
  hub.kafkaResume =
    kafkaLog && kafkaResume(scope, config, { log: kafkaLog, positions, topicOf, pacing: replayPacing, metrics: metricsOfResume, logger });
  const group = `${config.SERVICE_NAME}-${instanceId}`;
  const consumer = new ConsumerLoop({
    subscribe: () =>
      startEventConsumer({
        bus,
        hub,
        groupId: group,
        logger,
        history: {
          index: positions,
          log: kafkaLog,
          topicOf,
          warmCount: config.WS_HISTORY_WARM_COUNT,
          warmAgeMs: config.WS_HISTORY_WARM_AGE_MS,
        },
      }),
    attempt: kafkaLog ? 'warming the history from Kafka' : 'subscribing',
    retryMs: CONSUMER_RETRY_MS,
    logger,
  });
  scope.onClose(() => consumer.stop());

  // The service clients: one per service, the prediction client shared by the API and the door.
  const services = openServiceClients(
    {
      marketData: config.MARKET_DATA_GRPC_ADDR,
      prediction: config.PREDICTION_GRPC_ADDR,
      alerting: config.ALERTING_GRPC_ADDR,
      webhooks: config.WEBHOOK_GRPC_ADDR,
      providerMonitor: config.PROVIDER_MONITOR_GRPC_ADDR,
    },
    config.API_DEADLINE_MS,
  );
  scope.onClose(() => services.close());
  const predictionClient: PredictionClient | undefined = deps.getPrediction ? undefined : createPredictionClient(services.prediction);
  const getPrediction = deps.getPrediction ?? predictionClient!.getPrediction;
  const symbolSource =
    deps.listSymbols || !db || !config.WS_CLOSE_UNKNOWN_SYMBOLS ? undefined : createMarketSymbols(config.MARKET_DATA_GRPC_ADDR);
  if (symbolSource) scope.onClose(() => symbolSource.close());
  const listSymbols = deps.listSymbols ?? symbolSource?.list;

  // The open WebSocket connections and tRPC streams of each API key: a revoke ends them all.
  const keySessions = new KeySessions(authenticator.revocations, logger);
  scope.onClose(() => keySessions.stop());
  // The request side (with a database): the publisher, one rate budget, the publish gRPC server and the API's handler.
  const router = new HttpRouter({ maxBodyBytes: config.HTTP_MAX_BODY_BYTES, logger });
  // Who a request is from, for every per-address limit and the access log (http/client_address.ts).
  const trustedProxies = new TrustedProxies(config.TRUSTED_PROXIES);
  let publishPort: number | undefined;
  if (db && apiKeys) {
    const publishedIds: PublishedIds =
      config.BUS === 'memory' && !deps.sharedPublishedIds
        ? new MemoryPublishedIds(config.PUBLISH_ID_RETENTION_HOURS, config.PUBLISH_ID_MEMORY_MAX)
        : await DbPublishedIds.open(db, config.PUBLISH_ID_RETENTION_HOURS, config.PUBLISH_ID_LEASE_SECONDS);
    const publisher = createEventPublisher(bus, logger, publishedIds);
    // One budget for the API and the publish gRPC API: per verified principal, else per address.
    const limiter = new RateLimiter({ perMinute: config.API_RATE_LIMIT_PER_MINUTE, burst: config.API_RATE_LIMIT_BURST });
    const publishGrpc = await startPublishGrpc({
      port: config.PUBLISH_GRPC_PORT,
      host: config.GRPC_HOST,
      publisher,
      authenticator,
      limiter,
      trustedProxies,
      logger,
    });
    scope.onClose(() => publishGrpc.close(PUBLISH_GRPC_GRACE_MS));
    publishPort = publishGrpc.port;
    const api = createApiHandler({
      services,
      apiKeys,
      publisher,
      feed: hub,
      subscriptions: new SubscriptionSlots(config.TRPC_MAX_SUBSCRIPTIONS_PER_USER),
      keySessions,
      logger,
      authenticator,
      limiter,
      cors: { allowedOrigins: config.CORS_ALLOWED_ORIGINS, development: config.GATEWAY_ENV === 'development' },
      trustedProxies,
      anonymousReads: config.GATEWAY_ENV === 'development',
      metrics: createApiMetrics(),
      version,
      maxBodyBytes: config.HTTP_MAX_BODY_BYTES,
      maxBatchSize: config.TRPC_MAX_BATCH_SIZE,
    });
    // Every path the gateway does not route itself; its exact routes (/health, /info, /ws/stats) win.
    router.mount('', async (req, res) => {
      if (!(await api(req, res))) sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `no route for ${req.method} ${req.url}` } });
    });
    // The public port's /metrics: open in the development profile, ops:read wherever a credential is
    // required; a scraper reads METRICS_PORT (127.0.0.1 by default; runService starts it) without one.
    const metricsGuard = operatorOnly({
      required: config.GATEWAY_ENV === 'production' || config.WS_AUTH_REQUIRED,
      authenticator,
      trustedProxies,
      routes: '/metrics on the public port',
      because: 'GATEWAY_ENV=production or WS_AUTH_REQUIRED; a scraper on the host reads METRICS_PORT without one',
    });
    router.route('GET', '/metrics', metricsGuard(metricsRoute(deps.metrics)));
    setHttpRouteResolver(gatewayRouteResolver(version));
    logger.info({ publish_grpc_port: publishGrpc.port }, 'API ready: REST /api, tRPC /trpc, docs /docs, publish gRPC');
  }

  // The doors.
  const streamDoor = createStreamDoor(config.WS_MAX_SUBSCRIPTIONS_PER_CONNECTION);
  const accessLog = new AccessLog({ logger, sampleRatio: config.ACCESS_LOG_SAMPLE_RATIO, trustedProxies });
  let activeClients = () => 0;
  const ws = new WsGateway({
    hub,
    keySessions,
    doors: [
      marketDataDoor,
      createPredictionsDoor(getPrediction),
      alertsDoor,
      tradingDoor,
      createLiveDoor(() => activeClients()),
      streamDoor,
    ],
    authenticator,
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
    development: config.GATEWAY_ENV === 'development',
    trustedProxies,
    deflate: config.WS_DEFLATE,
    pingIntervalMs: config.WS_PING_INTERVAL_MS,
    pongTimeoutMs: config.WS_PONG_TIMEOUT_MS,
    logger,
    accessLog,
    symbols: listSymbols ? new SymbolCatalog(listSymbols) : undefined,
    resumeMetrics: metricsOfResume,
    replayPacing,
    ready: () => consumer.positioned,
  });
  scope.onClose(() => ws.close());
  activeClients = () => ws.size;
  registerWebSocketMetrics(() => {
    const stats = ws.stats();
    return { ...stats, counters: stats.counters as unknown as Record<string, number> };
  });

  // Readiness: the bus, the consumer, and what the gateway calls.
  const dependencies = gatewayDependencies(config, db);
  scope.onClose(() => dependencies.close());
  const health = new HealthMonitor({
    intervalMs: config.HEALTH_CHECK_INTERVAL_MS,
    logger,
    service: config.SERVICE_NAME,
    components: [
      { name: 'bus', check: () => bus.health() },
      { name: 'event_consumer', check: async () => consumer.health() },
      ...dependencies.components,
      // Without the API the predictions door still calls prediction (unless a test stands in for it).
      ...(predictionClient && !db ? [{ name: 'prediction', check: () => predictionClient.health() }] : []),
    ],
  });
  scope.onClose(() => health.stop());
  void health.start();
  // The consumer subscribes once readiness can follow it.
  consumer.start(() => {
    logger.info({ group }, 'consuming events');
    // A round already in flight saw no subscription yet; follow it with a fresh one.
    void health.checkNow().then(() => health.checkNow());
  });

  // The HTTP server (and the native protocol's, when enabled).
  let native: HttpServerHandle | undefined;
  const operator = operatorOnly({ required: config.WS_AUTH_REQUIRED, authenticator, trustedProxies });
  const mayReadDetails = operatorDetails({ required: config.WS_AUTH_REQUIRED, authenticator, trustedProxies });
  const serveProbe = async (req: Parameters<typeof serveHealth>[0], res: Parameters<typeof serveHealth>[1]) =>
    void serveHealth(req, res, { monitor: health, service: config.SERVICE_NAME, details: await mayReadDetails(req) });
  router
    .route('GET', '/health', healthRoute(health, ws, mayReadDetails))
    .route('GET', '/livez', serveProbe)
    .route('GET', '/readyz', serveProbe)
    .route(
      'GET',
      '/info',
      operator(
        infoRoute(config, { instanceId, version, startedAt: new Date(), websocketPaths: WEBSOCKET_PATHS, nativePort: () => native?.port }),
      ),
    )
    .route('GET', '/ws/stats', operator(wsStatsRoute(config, ws, hub)));
  // The dashboard: the page at / for browsers (JSON clients still get the root listing), its files under /dashboard/.
  const dashboard = dashboardRoutes();
  router.route('GET', '/', dashboard.root).mount('/dashboard', dashboard.files);
  // Against DNS rebinding: only the host names the gateway is reached by, before any route or door.
  const allowedHosts = new AllowedHosts(config.GATEWAY_ALLOWED_HOSTS);
  // Development is meant to be loopback-only; a production gateway reached by name answers 421 until it is named.
  if (allowedHosts.unset && config.GATEWAY_ENV === 'production') {
    logger.warn(
      { event: 'config.allowed_hosts_unset', setting: 'GATEWAY_ALLOWED_HOSTS' },
      'GATEWAY_ALLOWED_HOSTS is unset: only IP addresses, localhost and *.localhost are answered (any other Host gets 421 HOST_NOT_ALLOWED) until GATEWAY_ALLOWED_HOSTS is set to the name(s) clients use',
    );
  }
  const refuse = allowedHosts.any ? undefined : (req: IncomingMessage) => allowedHosts.refusal(req, trustedProxies);
  const http = await startHttpServer({
    host: config.GATEWAY_HOST,
    port: config.GATEWAY_PORT,
    router,
    upgrade: (req, socket, head) => ws.handleUpgrade(req, socket, head),
    accessLog,
    requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
    refuse,
  });
  scope.onClose(() => http.close());
  if (config.WS_NATIVE_PORT > 0) {
    const server = await startHttpServer({
      host: config.GATEWAY_HOST,
      port: config.WS_NATIVE_PORT,
      upgrade: (req, socket, head) => ws.handleUpgrade(req, socket, head, streamDoor),
      requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
      refuse,
    });
    scope.onClose(() => server.close());
    native = server;
  }
  // Runs first on close: a server's close waits for its connections, and a WebSocket ends only when
  // told, so every client hears GOING_AWAY (1001) before the servers wait (the step above covers a
  // start that fails before here; closing twice is harmless).
  scope.onClose(() => ws.close());

  return {
    port: http.port,
    nativePort: native?.port,
    publishPort,
    instanceId,
    router,
    hub,
    bus,
    ws,
    health,
    consuming: consumer.consuming,
    close: scope.close,
  };
}

/** With BUS=kafka, the reader of past records behind resume and the history's warm-up. */
function openKafkaLog(scope: ServiceScope<Database | undefined>, config: GatewayConfig): KafkaLog | undefined {
  if (config.BUS !== 'kafka') return undefined;
  const log = new KafkaLog(
    config.KAFKA_BROKERS.split(',').map((b) => b.trim()),
    `${config.KAFKA_CLIENT_ID ?? config.SERVICE_NAME}-history`,
  );
  scope.onClose(() => log.close());
  return log;
}

/** Resume past the in-memory history: ids mapped to Kafka positions, read back on demand. */
function kafkaResume(
  scope: ServiceScope<Database | undefined>,
  config: GatewayConfig,
  parts: {
    log: KafkaLog;
    positions: PositionIndex;
    topicOf: (type: string) => string;
    pacing: ReplayPacing;
    metrics: ResumeMetrics;
    logger: Logger;
  },
): KafkaResume {
  // Read-backs fetch and decode on a thread of their own (with its own Kafka client), so a client
  // catching up does not hold up live delivery to the others.
  const reader = new LogReader({
    log: parts.log,
    worker: {
      brokers: config.KAFKA_BROKERS.split(',').map((b) => b.trim()),
      clientId: `${config.KAFKA_CLIENT_ID ?? config.SERVICE_NAME}-resume`,
    },
    logger: parts.logger,
  });
  scope.onClose(() => reader.close());
  reader.warm(EVENT_TYPES.map(parts.topicOf));
  return new KafkaResume({
    reader,
    index: parts.positions,
    topicOf: parts.topicOf,
    eventTypes: EVENT_TYPES,
    ...parts.pacing,
    maxConcurrent: config.WS_RESUME_MAX_READS,
    metrics: parts.metrics,
    logger: parts.logger,
  });
}
