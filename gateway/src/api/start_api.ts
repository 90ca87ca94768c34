import { openDatabase, type Bus, type ComponentHealth, type Database, type GrpcServerHandle, type Logger } from '@marketpulse/runtime';
import { authenticatorFromConfig, DbApiKeyStore, type Authenticator } from '../auth';
import { RateLimiter } from '../auth_http';
import { createEventPublisher } from '../publish/publisher';
import { DbPublishedIds } from '../publish/published_ids';
import { startPublishGrpc } from '../publish/grpc_server';
import type { ApiConfig } from './config';
import type { EventFeed } from './event_feed';
import { createApiHandler, type ApiHandler } from './handler';
import { createApiMetrics } from './metrics';
import { createServiceClients, type ServiceClients } from './service_clients';

export interface ApiStartDeps {
  bus: Bus;
  /** The WebSocket hub: subscriptions share its channels and history. */
  feed: EventFeed;
  logger: Logger;
  /** The gateway's database (API keys); opened from DATABASE_URL / PGLITE_DIR when absent. */
  db?: Database;
  /** Replaces the gRPC clients built from the *_GRPC_ADDR variables. */
  services?: ServiceClients;
  version?: string;
}

export interface ApiHandle {
  /** Mount on the HTTP server: answers its paths, resolves false for any other. */
  handler: ApiHandler;
  /** Bound port of the gRPC publish API. */
  publishPort: number;
  publishGrpc: GrpcServerHandle;
  /** The one credential verifier, shared with the WebSocket doors so API keys work there too. */
  authenticator: Authenticator;
  /** The API's database (API keys), for the gateway's readiness. */
  databaseHealth(): Promise<ComponentHealth>;
  close(): Promise<void>;
}

/** Builds the request side: gRPC clients, API key store, publish API (gRPC), REST + tRPC handler. */
export async function startApi(config: ApiConfig, deps: ApiStartDeps): Promise<ApiHandle> {
  const { logger } = deps;
  const db =
    deps.db ??
    (await openDatabase({
      service: config.SERVICE_NAME,
      url: config.DATABASE_URL,
      dataDir: config.PGLITE_DIR,
      poolSize: config.DATABASE_POOL_SIZE,
      logger,
    }));
  const ownsDb = deps.db === undefined;
  const clients = deps.services
    ? undefined
    : createServiceClients(
        {
          marketData: config.MARKET_DATA_GRPC_ADDR,
          prediction: config.PREDICTION_GRPC_ADDR,
          alerting: config.ALERTING_GRPC_ADDR,
          webhooks: config.WEBHOOK_GRPC_ADDR,
          providerMonitor: config.PROVIDER_MONITOR_GRPC_ADDR,
        },
        config.API_DEADLINE_MS,
      );
  const services = deps.services ?? clients!;
  try {
    const apiKeys = await DbApiKeyStore.open(db);
    const authenticator = authenticatorFromConfig(config, apiKeys);
    const publisher = createEventPublisher(deps.bus, logger, await DbPublishedIds.open(db, config.PUBLISH_ID_RETENTION_HOURS));
    // One budget for the API and the publish gRPC API: per verified principal, else per address.
    const limiter = new RateLimiter({ perMinute: config.API_RATE_LIMIT_PER_MINUTE, burst: config.API_RATE_LIMIT_BURST });
    const publishGrpc = await startPublishGrpc({
      port: config.PUBLISH_GRPC_PORT,
      host: config.GRPC_HOST,
      publisher,
      authenticator,
      limiter,
      logger,
    });
    const handler = createApiHandler({
      services,
      apiKeys,
      publisher,
      feed: deps.feed,
      logger,
      authenticator,
      limiter,
      cors: { allowedOrigins: config.CORS_ALLOWED_ORIGINS, development: config.GATEWAY_ENV === 'development' },
      anonymousReads: config.GATEWAY_ENV === 'development',
      metrics: createApiMetrics(),
      version: deps.version ?? '0.1.0',
      maxBodyBytes: config.HTTP_MAX_BODY_BYTES,
      maxBatchSize: config.TRPC_MAX_BATCH_SIZE,
    });
    logger.info({ publish_grpc_port: publishGrpc.port }, 'API ready: REST /api, tRPC /trpc, docs /docs, publish gRPC');
    return {
      handler,
      publishPort: publishGrpc.port,
      publishGrpc,
      authenticator,
      databaseHealth: () => db.health(),
      async close() {
        await publishGrpc.close(2000);
        clients?.close();
        if (ownsDb) await db.close();
      },
    };
  } catch (err) {
    clients?.close();
    if (ownsDb) await db.close();
    throw err;
  }
}
