import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { alerting, market, prediction, providers, webhooks } from '@marketpulse/proto';
import { AppError, createBus, createLogger, openDatabase, toServiceError, type Bus } from '@marketpulse/runtime';
import { createTestDatabase } from '@marketpulse/tests';
import { afterAll, beforeAll } from 'vitest';
import { loadGatewayConfig, startGateway, type GatewayHandle, type Hub } from '@marketpulse/gateway';

// Fakes of the five services (real grpc-js servers on 127.0.0.1, in-memory implementations with
// the proto's ownership rules) and an HTTP server mounting the API, for the api-* suites.

export const SECRET = 'api-e2e-secret-0123456789abcdef';
export const T0 = '2025-11-11T00:30:00.000Z';

/** An HS256 JWT for `userId` (sub) with `scopes` (the gateway's defaults when omitted). */
export function tokenFor(userId: string, scopes?: string[], secret = SECRET): string {
  const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: userId, iat: now, exp: now + 3600, ...(scopes ? { scopes } : {}) })}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

type Unary<Req, Res> = grpc.handleUnaryCall<Req, Res>;
const ok =
  <Req, Res>(fn: (req: Req) => Res): Unary<Req, Res> =>
  (call, cb) => {
    try {
      cb(null, fn(call.request));
    } catch (err) {
      cb(err as grpc.ServiceError);
    }
  };
const notFound = (what: string) => toServiceError(new AppError(grpc.status.NOT_FOUND, 'NOT_FOUND', `${what} not found`));
const unimplemented = (_call: unknown, cb: (err: grpc.ServiceError) => void) =>
  cb(toServiceError(new AppError(grpc.status.UNIMPLEMENTED, 'UNIMPLEMENTED', 'not in the fake')));

export function fakeWebhookService(): webhooks.WebhookServiceServer {
  const endpoints = new Map<string, webhooks.Endpoint>();
  const owned = (id: string, userId: string) => {
    const e = endpoints.get(id);
    if (!e || (userId && e.user_id !== userId)) throw notFound(`webhook ${id}`);
    return e;
  };
  const delivery = (e: webhooks.Endpoint, type: string): webhooks.Delivery =>
    webhooks.Delivery.fromPartial({
      id: `dlv_${randomBytes(4).toString('hex')}`,
      endpoint_id: e.id,
      event_id: `evt_${randomBytes(4).toString('hex')}`,
      event_type: type,
      subject: 'AAPL',
      status: 'delivered',
      attempt_count: 1,
      attempts: [{ attempt_number: 1, time: T0, status_code: 200, duration_ms: 12, response_excerpt: 'ok', trigger: 'manual' }],
      created_at: T0,
      delivered_at: T0,
      payload: '{"type":"prediction_complete"}',
    });
  return {
    createEndpoint: ok((req: webhooks.CreateEndpointRequest) => {
      const e = webhooks.Endpoint.fromPartial({
        ...req.endpoint,
        id: `wh_${randomBytes(6).toString('hex')}`,
        secret: req.endpoint?.secret || `whsec_${randomBytes(24).toString('base64')}`,
        created_at: T0,
        updated_at: T0,
        total_deliveries: '0',
        successful_deliveries: '0',
        failed_deliveries: '0',
      });
      endpoints.set(e.id, { ...e, secret: '' });
      return { endpoint: e };
    }),
    listEndpoints: ok((req: webhooks.ListEndpointsRequest) => ({
      endpoints: [...endpoints.values()].filter((e) => !req.user_id || e.user_id === req.user_id),
    })),
    getEndpoint: ok((req: webhooks.GetEndpointRequest) => ({ endpoint: owned(req.id, req.user_id) })),
    updateEndpoint: ok((req: webhooks.UpdateEndpointRequest) => {
      const e = owned(req.endpoint!.id, req.user_id);
      const next = { ...e } as Record<string, unknown>;
      for (const f of req.update_mask ?? []) next[f] = (req.endpoint as unknown as Record<string, unknown>)[f];
      const updated = { ...(next as unknown as webhooks.Endpoint), updated_at: '2025-11-11T01:00:00.000Z' };
      endpoints.set(e.id, updated);
      return { endpoint: updated };
    }),
    deleteEndpoint: ok((req: webhooks.DeleteEndpointRequest) => {
      owned(req.id, req.user_id);
      endpoints.delete(req.id);
      return {};
    }),
    listDeliveries: ok((req: webhooks.ListDeliveriesRequest) => ({
      deliveries: [delivery(owned(req.endpoint_id, req.user_id), 'prediction_complete')],
    })),
    sendTestEvent: ok((req: webhooks.SendTestEventRequest) => {
      const e = owned(req.endpoint_id, req.user_id);
      return { delivery: delivery(e, req.event_type || e.events[0] || 'prediction_complete') };
    }),
    replayDelivery: unimplemented,
    replayFailed: unimplemented,
    rotateSecret: unimplemented,
    getEndpointStats: unimplemented,
  };
}

const rateLimit = providers.RateLimitStatus.fromPartial({
  provider: 'CoinGecko',
  limit_type: 'per_minute',
  limit_value: 50,
  current_usage: 42,
  percentage: 84,
  reset_time: T0,
  reset_in_seconds: 30,
  status: 'warning',
});
const provider = providers.Provider.fromPartial({
  id: 'coingecko',
  name: 'CoinGecko',
  category: 'market_data',
  status: 'online',
  response_time_ms: 123.4,
  rate_limit: rateLimit,
  last_fetch: T0,
  has_key: false,
  endpoint: 'https://api.coingecko.com/api/v3',
  check_interval_seconds: 30,
});
const failure = providers.LogEntry.fromPartial({
  id: 'log-1',
  log_type: 'failure',
  timestamp: T0,
  provider: 'CoinGecko',
  endpoint: '/ping',
  error_type: 'timeout',
  error_message: 'timed out after 10 s',
  retry_count: 1,
});

export function fakeProviderMonitor(): providers.ProviderMonitorServiceServer {
  const byName = (name: string) => {
    if (name.toLowerCase() !== 'coingecko') throw notFound(`provider ${name}`);
    return provider;
  };
  return {
    listProviders: ok(() => ({ providers: [provider] })),
    getProvider: ok((req: providers.GetProviderRequest) => ({ provider: byName(req.name) })),
    getProviderStats: ok((req: providers.GetProviderStatsRequest) => ({
      stats: providers.ProviderStats.fromPartial({
        provider: byName(req.name).name,
        hours: req.hours || 24,
        total_requests: 100,
        successful_requests: 98,
        failed_requests: 2,
        success_rate: 98,
      }),
    })),
    getStatus: ok(() =>
      providers.GetStatusResponse.fromPartial({
        total_apis: 8,
        online: 6,
        degraded: 1,
        offline: 1,
        avg_response_time_ms: 210.5,
        last_update: T0,
        system_health: 'degraded',
      }),
    ),
    getMetricsHistory: ok(() => ({
      metrics: [providers.SystemMetrics.fromPartial({ total_providers: 8, online_count: 6, system_health: 'degraded', timestamp: T0 })],
    })),
    listRateLimits: ok(() => ({ rate_limits: [rateLimit] })),
    getRateLimit: ok((req: providers.GetRateLimitRequest) => ({ rate_limit: (byName(req.provider), rateLimit) })),
    listLogs: ok((req: providers.ListLogsRequest) => ({
      log_type: req.log_type,
      logs: req.log_type === 'failure' ? [failure] : [],
      count: req.log_type === 'failure' ? 1 : 0,
    })),
    getSchedulerStatus: ok(() => ({
      running: true,
      total_jobs: 1,
      jobs: [
        providers.SchedulerJob.fromPartial({
          id: 'health_checks',
          name: 'Health checks',
          trigger: 'every 30s',
          interval_seconds: 30,
          next_run_time: T0,
          run_count: 3,
          last_status: 'success',
        }),
      ],
    })),
    triggerJob: ok((req: providers.TriggerJobRequest) => {
      if (req.job_id !== 'health_checks') throw notFound(`job ${req.job_id}`);
      return { job_id: req.job_id, status: 'triggered', message: `Job ${req.job_id} triggered`, triggered_at: T0 };
    }),
    getDatabaseStats: ok(() =>
      providers.GetDatabaseStatsResponse.fromPartial({
        tables: [{ name: 'providers', row_count: '8', size_bytes: '8192' }],
        total_rows: '8',
        database_size_bytes: '8192',
        database_size_mb: 0.01,
        engine: 'postgres',
      }),
    ),
    getDatabaseHealth: ok(() =>
      providers.GetDatabaseHealthResponse.fromPartial({
        status: 'healthy',
        latency_ms: 1.2,
        engine: 'postgres',
        version: '17',
        error: '',
        checked_at: T0,
      }),
    ),
    getFailureAnalytics: ok((req: providers.GetFailureAnalyticsRequest) =>
      providers.GetFailureAnalyticsResponse.fromPartial({
        hours: req.hours || 24,
        total_failures: 1,
        error_type_distribution: [{ error_type: 'timeout', count: 1, percentage: 100 }],
        top_failing_providers: [{ provider: 'CoinGecko', failure_count: 1, failure_rate: 2 }],
        recent_failures: [failure],
        remediation_suggestions: [{ issue: 'timeouts', suggestion: 'raise the timeout', priority: 'medium', provider: 'CoinGecko' }],
        recent_outages: [{ provider: 'CoinGecko', started_at: T0, duration_seconds: 42, previous_status: 'degraded' }],
      }),
    ),
    getConfigStats: ok(() =>
      providers.GetConfigStatsResponse.fromPartial({
        total_providers: 8,
        categories: [{ category: 'market_data', count: 5 }],
        providers_requiring_key: 3,
        providers_with_key: 2,
        providers_with_rate_limit: 8,
        scheduler_jobs: 4,
        health_check_interval_seconds: 30,
        settings: { LOG_LEVEL: 'info' },
      }),
    ),
  };
}

export function fakeAlerting(): alerting.AlertingServiceServer {
  const alerts = new Map<string, alerting.Alert>([
    [
      '1',
      alerting.Alert.fromPartial({
        id: '1',
        rule_id: 'sys-rate',
        rule_name: 'Rate limit 80%',
        alert_type: 'rate_limit',
        condition: 'rate_limit',
        severity: 'warning',
        provider: 'CoinGecko',
        message: 'CoinGecko at 84%',
        values: { percentage: 84 },
        timestamp: T0,
      }),
    ],
    [
      '2',
      alerting.Alert.fromPartial({
        id: '2',
        rule_id: 'r-1',
        rule_name: 'AAPL above 150',
        user_id: 'alice',
        alert_type: 'price_alert',
        condition: 'price_above',
        severity: 'high',
        symbol: 'AAPL',
        message: 'AAPL crossed 150',
        values: { price: 151.2, threshold: 150 },
        timestamp: T0,
      }),
    ],
  ]);
  const rules = new Map<string, alerting.Rule>();
  const visible = (a: { user_id: string }, userId: string) => !userId || a.user_id === userId;
  const rule = (id: string, userId: string) => {
    const r = rules.get(id);
    if (!r || !visible(r, userId)) throw notFound(`rule ${id}`);
    return r;
  };
  return {
    createRule: ok((req: alerting.CreateRuleRequest) => {
      const r = { ...req.rule!, id: `rule_${randomBytes(4).toString('hex')}`, created_at: T0, updated_at: T0 };
      rules.set(r.id, r);
      return { rule: r };
    }),
    getRule: ok((req: alerting.GetRuleRequest) => ({ rule: rule(req.id, req.user_id) })),
    listRules: ok((req: alerting.ListRulesRequest) => ({ rules: [...rules.values()].filter((r) => visible(r, req.user_id)) })),
    updateRule: ok((req: alerting.UpdateRuleRequest) => {
      const r = rule(req.rule!.id, req.user_id) as unknown as Record<string, unknown>;
      for (const f of req.update_mask ?? []) r[f] = (req.rule as unknown as Record<string, unknown>)[f];
      return { rule: r as unknown as alerting.Rule };
    }),
    deleteRule: ok((req: alerting.DeleteRuleRequest) => {
      rule(req.id, req.user_id);
      rules.delete(req.id);
      return {};
    }),
    listAlerts: ok((req: alerting.ListAlertsRequest) => ({
      alerts: [...alerts.values()].filter(
        (a) => visible(a, req.user_id) && (req.acknowledged === undefined || a.acknowledged === req.acknowledged),
      ),
    })),
    acknowledgeAlert: ok((req: alerting.AcknowledgeAlertRequest) => {
      const a = alerts.get(req.id);
      if (!a || !visible(a, req.user_id)) throw notFound(`alert ${req.id}`);
      const acked = { ...a, acknowledged: true, acknowledged_by: req.acknowledged_by, acknowledged_at: T0 };
      alerts.set(a.id, acked);
      return { alert: acked };
    }),
    streamAlerts: (call) => call.end(),
  };
}

export function fakeMarketData(): market.MarketDataServiceServer {
  return {
    getQuote: ok((req: market.GetQuoteRequest) => ({
      quote: market.Quote.fromPartial({ symbol: req.symbol, price: 150.25, bid: 150.2, ask: 150.3, timestamp: T0, provider: 'simulated' }),
    })),
    listSymbols: ok(() => ({
      symbols: [market.SymbolInfo.fromPartial({ symbol: 'AAPL', name: 'Apple', asset_class: 'equity', currency: 'USD', active: true })],
    })),
    getCandles: ok((req: market.GetCandlesRequest) => ({
      candles: [
        market.Candle.fromPartial({
          symbol: req.symbol,
          interval: req.interval,
          open_time: T0,
          open: 1,
          high: 2,
          low: 0.5,
          close: 1.5,
          volume: 10,
          trade_count: '7',
        }),
      ],
    })),
    streamTicks: (call) => call.end(),
    getProviderStats: ok(() => ({ providers: [] })),
    listDataQualityIssues: ok(() => ({ issues: [] })),
  };
}

export function fakePrediction(): prediction.PredictionServiceServer {
  return {
    getPrediction: ok((req: prediction.GetPredictionRequest) => ({
      prediction: prediction.Prediction.fromPartial({
        id: 'p1',
        symbol: req.symbol,
        horizon_seconds: req.horizon_seconds || 60,
        predicted_price: 150.25,
        confidence: 0.85,
        interval: { lower: 149, upper: 151.5, level: 0.95 },
        timestamp: T0,
      }),
    })),
    streamPredictions: (call) => call.end(),
    trainModel: unimplemented,
    deployModel: unimplemented,
    rollbackModel: unimplemented,
    listModelVersions: ok(() => ({ models: [] })),
    runBacktest: unimplemented,
    getBacktest: unimplemented,
  };
}

export interface FakeService {
  address: string;
  stop(): Promise<void>;
}

export async function serveFake(
  definition: grpc.ServiceDefinition,
  implementation: grpc.UntypedServiceImplementation,
): Promise<FakeService> {
  const server = new grpc.Server();
  server.addService(definition, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { address: `127.0.0.1:${port}`, stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())) };
}

export interface FakeServices {
  webhooks: FakeService;
  providerMonitor: FakeService;
  alerting: FakeService;
  marketData: FakeService;
  prediction: FakeService;
  stopAll(): Promise<void>;
}

export async function startFakeServices(): Promise<FakeServices> {
  const [wh, pm, al, md, pr] = await Promise.all([
    serveFake(webhooks.WebhookServiceService, fakeWebhookService()),
    serveFake(providers.ProviderMonitorServiceService, fakeProviderMonitor()),
    serveFake(alerting.AlertingServiceService, fakeAlerting()),
    serveFake(market.MarketDataServiceService, fakeMarketData()),
    serveFake(prediction.PredictionServiceService, fakePrediction()),
  ]);
  return {
    webhooks: wh,
    providerMonitor: pm,
    alerting: al,
    marketData: md,
    prediction: pr,
    stopAll: async () => void (await Promise.all([wh, pm, al, md, pr].map((s) => s.stop()))),
  };
}

export interface ApiUnderTest {
  base: string;
  gateway: GatewayHandle;
  hub: Hub;
  bus: Bus;
  /** Cuts every open HTTP connection (SSE streams included); the server keeps listening. */
  dropConnections(): void;
  close(): Promise<void>;
}

/** The gateway's routes (the API among them) on an HTTP server of the test's, a memory bus, API keys in a PostgreSQL test database. */
export async function startApiUnderTest(
  addresses: Partial<
    Record<
      'MARKET_DATA_GRPC_ADDR' | 'PREDICTION_GRPC_ADDR' | 'ALERTING_GRPC_ADDR' | 'WEBHOOK_GRPC_ADDR' | 'PROVIDER_MONITOR_GRPC_ADDR',
      string
    >
  >,
  env: Record<string, string> = {},
  logger = createLogger('api-e2e', {}, { level: 'silent' }),
): Promise<ApiUnderTest> {
  const testDb = await createTestDatabase('api-keys');
  const config = loadGatewayConfig({
    JWT_SECRET: SECRET,
    GATEWAY_PORT: '0',
    PUBLISH_GRPC_PORT: '0',
    KAFKA_TOPIC_PREFIX: `api-e2e-${randomBytes(3).toString('hex')}.`,
    API_DEADLINE_MS: '1000',
    ...addresses,
    ...env,
  });
  const bus = createBus(config, logger);
  const db = await openDatabase({ service: 'gateway', url: testDb.url });
  const gateway = await startGateway(config, { bus, db, logger });
  // The test's own server over the gateway's router, so a test can cut its connections.
  const server: Server = createServer((req, res) => gateway.router.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    base: `http://127.0.0.1:${port}`,
    gateway,
    hub: gateway.hub,
    bus,
    dropConnections: () => server.closeAllConnections(),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gateway.close();
      await db.close();
      await bus.close();
      await testDb.drop();
    },
  };
}

export interface ApiRig {
  fakes: FakeServices;
  api: ApiUnderTest;
}

/** The API on fakes of every service, started in a beforeAll and stopped in an afterAll that this registers. */
export function useApiOnFakes(): ApiRig {
  const rig = {} as Partial<ApiRig>;
  beforeAll(async () => {
    rig.fakes = await startFakeServices();
    rig.api = await startApiUnderTest(addressesOf(rig.fakes));
  });
  afterAll(async () => {
    await rig.api?.close();
    await rig.fakes?.stopAll();
  });
  return rig as ApiRig;
}

export function addressesOf(fakes: FakeServices) {
  return {
    WEBHOOK_GRPC_ADDR: fakes.webhooks.address,
    PROVIDER_MONITOR_GRPC_ADDR: fakes.providerMonitor.address,
    ALERTING_GRPC_ADDR: fakes.alerting.address,
    MARKET_DATA_GRPC_ADDR: fakes.marketData.address,
    PREDICTION_GRPC_ADDR: fakes.prediction.address,
  };
}
