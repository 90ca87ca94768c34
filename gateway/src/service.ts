import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createBus, createLogger, HealthMonitor, type Bus, type Database, type Logger, type Subscription } from '@marketpulse/runtime';
import { createApiMount, type ApiMount } from './api/mount';
import type { ApiHandle } from './api/start_api';
import { authenticatorFromConfig } from './auth';
import type { GatewayConfig } from './config';
import { startEventConsumer } from './events/consumer';
import { healthRoute } from './http/health';
import { infoRoute } from './http/info';
import { HttpRouter } from './http/router';
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
  const predictionClient: PredictionClient | undefined = deps.getPrediction ? undefined : createPredictionClient(config.PREDICTION_GRPC_ADDR);
  const getPrediction = deps.getPrediction ?? predictionClient!.getPrediction;

  const hub = new Hub(config.WS_HISTORY_SIZE, flushLongBurst);
  const router = new HttpRouter();
  const apiMount = deps.api === false ? undefined : (deps.api ?? createApiMount(config, { db: deps.db, version: packageVersion() }));
  try {
    await apiMount?.mount(router, { hub, bus, logger });
  } catch (err) {
    predictionClient?.close();
    if (ownsBus) await bus.close();
    throw err;
  }
  const streamDoor = createStreamDoor();
  let activeClients = () => 0;
  const ws = new WsGateway({
    hub,
    doors: [marketDataDoor, createPredictionsDoor(getPrediction), alertsDoor, tradingDoor, createLiveDoor(() => activeClients()), streamDoor],
    // Without the API there is no key store: JWTs and configured keys only.
    authenticator: apiMount?.handle?.authenticator ?? authenticatorFromConfig(config),
    authRequired: config.WS_AUTH_REQUIRED,
    authTimeoutMs: config.WS_AUTH_TIMEOUT_MS,
    maxConnections: config.WS_MAX_CONNECTIONS,
    maxMessageBytes: config.WS_MAX_MESSAGE_BYTES,
    sendQueueBytes: config.WS_SEND_QUEUE_BYTES,
    rateLimitPerMinute: config.WS_RATE_LIMIT,
    allowedOrigins: config.WS_ALLOWED_ORIGINS,
    deflate: config.WS_DEFLATE,
    pingIntervalMs: config.WS_PING_INTERVAL_MS,
    pongTimeoutMs: config.WS_PONG_TIMEOUT_MS,
    logger,
  });
  activeClients = () => ws.size;

  let subscription: Subscription | undefined;
  let stopped = false;
  let consumerError = 'not subscribed yet';

  const health = new HealthMonitor({
    intervalMs: config.HEALTH_CHECK_INTERVAL_MS,
    logger,
    components: [
      { name: 'bus', check: () => bus.health() },
      {
        name: 'event_consumer',
        check: async () => (subscription ? { ok: true, detail: 'subscribed to every event topic' } : { ok: false, detail: consumerError }),
      },
      ...(predictionClient ? [{ name: 'prediction_service', check: () => predictionClient.health() }] : []),
    ],
  });
  void health.start();

  const consuming = (async () => {
    while (!stopped) {
      try {
        subscription = await startEventConsumer({ bus, hub, groupId: `${config.SERVICE_NAME}-${instanceId}`, logger });
        if (stopped) await subscription.close();
        else {
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
  let http: HttpServerHandle;
  try {
    router
      .route('GET', '/health', healthRoute(health, ws))
      .route('GET', '/info', infoRoute(config, {
        instanceId,
        version: packageVersion(),
        startedAt,
        websocketPaths: ['/ws/market-data/{symbol}', '/ws/predictions/{symbol}', '/ws/alerts', '/ws', '/ws/live', '/ws/stream'],
        nativePort: () => native?.port,
      }))
      .route('GET', '/ws/stats', wsStatsRoute(config, ws, hub));
    http = await startHttpServer({
      host: config.GATEWAY_HOST,
      port: config.GATEWAY_PORT,
      router,
      upgrade: (req, socket, head) => ws.handleUpgrade(req, socket, head),
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
    await ws.close();
    await apiMount?.close();
    predictionClient?.close();
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
      await ws.close();
      await Promise.all([http.close(), native?.close()]);
      await subscription?.close();
      await apiMount?.close();
      predictionClient?.close();
      if (ownsBus) await bus.close();
    },
  };
}
