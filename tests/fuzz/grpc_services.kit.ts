// The gRPC fuzz suites' target: every service of the suite and the gateway's realtime.PublishService,
// each started as its e2e suite starts it (in-process, from sources) on the run's real Kafka and
// PostgreSQL, each with its own database and one topic prefix. Exceptions a request let escape
// would reach this test process: vitest reports them and the run fails.
import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { loadConfig as loadAlertingConfig, startAlerting, type AlertingHandle } from '@marketpulse/alerting';
import { loadGatewayConfig, mintToken, startGateway, type GatewayHandle } from '@marketpulse/gateway';
import { loadConfig as loadMarketDataConfig, startMarketData, type MarketDataHandle } from '@marketpulse/market-data';
import { loadConfig as loadPredictionConfig, startPrediction, type PredictionHandle } from '@marketpulse/prediction';
import { loadConfig as loadProviderMonitorConfig, startProviderMonitor, type ProviderMonitorHandle } from '@marketpulse/provider-monitor';
import { createBus, createLogger, type Bus } from '@marketpulse/runtime';
import { createTestDatabase, kafkaBrokers, uniqueTopicPrefix, type TestDatabase } from '@marketpulse/tests';
import { loadConfig as loadWebhookConfig, startWebhookDelivery, type WebhookDeliveryHandle } from '@marketpulse/webhook-delivery';

export const GRPC_FUZZ_SECRET = 'grpc-fuzz-secret-0123456789abcdef';

export interface GrpcServices {
  /** host:port of every gRPC server of the suite, by a short name. */
  addresses: Record<string, string>;
  /** A JWT with every scope, sent to the PublishService so the fuzz reaches its validation. */
  token: string;
  close(): Promise<void>;
}

export async function startGrpcServices(label: string): Promise<GrpcServices> {
  const logger = createLogger(`${label}-services`, {}, { level: process.env.FUZZ_LOG_LEVEL ?? 'fatal' });
  const prefix = uniqueTopicPrefix(label);
  const common = {
    BUS: 'kafka',
    KAFKA_BROKERS: kafkaBrokers(),
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_PARTITIONS: '1',
    LOG_LEVEL: 'warn',
    GRPC_PORT: '0',
  };
  const dbs: TestDatabase[] = await Promise.all(['md', 'pr', 'al', 'wh', 'pm', 'gw'].map((l) => createTestDatabase(`${label}-${l}`)));
  const [mdDb, prDb, alDb, whDb, pmDb, gwDb] = dbs as [TestDatabase, TestDatabase, TestDatabase, TestDatabase, TestDatabase, TestDatabase];
  const bus: Bus = createBus(
    { BUS: 'kafka', KAFKA_BROKERS: kafkaBrokers(), KAFKA_TOPIC_PREFIX: prefix, KAFKA_PARTITIONS: 1, SERVICE_NAME: `${label}-test` },
    logger,
  );

  // The provider monitor probes this instead of the internet: fuzz traffic stays on loopback.
  const upstream: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}/ping`;

  const closers: (() => Promise<unknown>)[] = [];
  try {
    const marketData: MarketDataHandle = await startMarketData(loadMarketDataConfig({ ...common, DATABASE_URL: mdDb.url }), { logger });
    closers.push(() => marketData.close());
    const prediction: PredictionHandle = await startPrediction(
      loadPredictionConfig({ ...common, DATABASE_URL: prDb.url, PREDICTION_CONSUMER_GROUP: `pr-${randomUUID()}` }),
      { logger },
    );
    closers.push(() => prediction.close());
    const alerting: AlertingHandle = await startAlerting(
      loadAlertingConfig({
        ...common,
        DATABASE_URL: alDb.url,
        MARKET_DATA_GRPC_ADDR: '',
        ALERT_KNOWN_SYMBOLS: 'AAPL,MSFT',
        ALERT_CONSUMER_GROUP: `al-${randomUUID()}`,
      }),
      { logger },
    );
    closers.push(() => alerting.close());
    const webhooks: WebhookDeliveryHandle = await startWebhookDelivery(
      loadWebhookConfig({
        ...common,
        DATABASE_URL: whDb.url,
        WEBHOOK_ALLOW_LOOPBACK: 'true',
        WEBHOOK_CONSUMER_GROUP: `wh-${randomUUID()}`,
      }),
      { logger },
    );
    closers.push(() => webhooks.close());
    const monitor: ProviderMonitorHandle = await startProviderMonitor(
      loadProviderMonitorConfig({
        ...common,
        DATABASE_URL: pmDb.url,
        MARKET_DATA_GRPC_ADDR: '',
        ALERTING_GRPC_ADDR: '',
        MONITOR_PROVIDERS: JSON.stringify([
          { name: 'Loopback', url: upstreamUrl, category: 'market_data', rate_limit: { limit: 1000, per: 'minute' } },
        ]),
      }),
      { logger },
    );
    closers.push(() => monitor.close());
    const gateway: GatewayHandle = await startGateway(
      loadGatewayConfig({
        ...common,
        GATEWAY_PORT: '0',
        PUBLISH_GRPC_PORT: '0',
        JWT_SECRET: GRPC_FUZZ_SECRET,
        // Publish calls draw on the API's per-user budget: the fuzzer should reach the RPC's own checks, not 429s.
        API_RATE_LIMIT_PER_MINUTE: '1000000',
        API_RATE_LIMIT_BURST: '100000',
        DATABASE_URL: gwDb.url,
        WEBHOOK_GRPC_ADDR: `127.0.0.1:${webhooks.grpcPort}`,
      }),
      { bus, logger },
    );
    closers.push(() => gateway.close());
    const at = (port: number) => `127.0.0.1:${port}`;
    return {
      addresses: {
        'market-data': at(marketData.grpcPort),
        prediction: at(prediction.grpcPort),
        alerting: at(alerting.grpcPort),
        'webhook-delivery': at(webhooks.grpcPort),
        'provider-monitor': at(monitor.grpcPort),
        'gateway-publish': at(gateway.publishPort!),
      },
      token: await mintToken({ secret: GRPC_FUZZ_SECRET, subject: 'grpc-fuzzer', ttlSeconds: 3600, scopes: ['read', 'publish', 'admin'] }),
      async close() {
        for (const close of closers.reverse()) await close().catch(() => undefined);
        await bus.close().catch(() => undefined);
        upstream.closeAllConnections();
        await new Promise<void>((resolve) => upstream.close(() => resolve()));
        await Promise.all(dbs.map((d) => d.drop().catch(() => undefined)));
      },
    };
  } catch (err) {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await bus.close().catch(() => undefined);
    upstream.close();
    await Promise.all(dbs.map((d) => d.drop().catch(() => undefined)));
    throw err;
  }
}
