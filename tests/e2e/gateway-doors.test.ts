import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { loadGatewayConfig, mintToken, startGateway, type GatewayHandle } from '@marketpulse/gateway';
import { events, prediction } from '@marketpulse/proto';
import { createBus, createLogger, type Bus } from '@marketpulse/runtime';
import { freePort, kafkaBrokers, uniqueTopicPrefix } from '@marketpulse/tests';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, type RecordingClient } from './gateway_ws_client';

// One test per door, each driving it the way its seed's example client does, against a gateway
// consuming real Kafka and calling a real gRPC prediction service (a stub server here).

const logger = createLogger('gateway-doors-e2e', {}, { level: 'warn' });
const SECRET = 'doors-e2e-secret-0123456789';
const prefix = uniqueTopicPrefix('gateway-doors');

let gateway: GatewayHandle;
let publisher: Bus;
let predictionServer: grpc.Server;
let base: string;
let token: string;

async function publish(type: string, subject: string, payload: object): Promise<events.Event> {
  const event = events.Event.fromPartial({
    id: randomUUID(),
    type,
    source: 'e2e',
    subject,
    time: new Date().toISOString(),
    payload: { $case: type, [type]: payload } as never,
  });
  await publisher.publish(event);
  return event;
}

async function startPredictionStub(): Promise<number> {
  predictionServer = new grpc.Server();
  predictionServer.addService(prediction.PredictionServiceService, {
    getPrediction: (
      call: grpc.ServerUnaryCall<prediction.GetPredictionRequest, prediction.GetPredictionResponse>,
      callback: grpc.sendUnaryData<prediction.GetPredictionResponse>,
    ) => {
      const { symbol, horizon_seconds } = call.request;
      callback(null, {
        prediction: prediction.Prediction.fromPartial({
          id: `pred-${symbol}`,
          symbol,
          horizon_seconds: horizon_seconds || 60,
          predicted_price: 123.45,
          confidence: 0.8,
          timestamp: new Date().toISOString(),
        }),
      });
    },
  } as grpc.UntypedServiceImplementation);
  return new Promise((resolve, reject) =>
    predictionServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
  );
}

beforeAll(async () => {
  const predictionPort = await startPredictionStub();
  const env = { BUS: 'kafka', KAFKA_BROKERS: kafkaBrokers(), KAFKA_TOPIC_PREFIX: prefix, LOG_LEVEL: 'warn' };
  const config = loadGatewayConfig({
    ...env,
    SERVICE_NAME: 'gateway-doors-e2e',
    GATEWAY_PORT: '0',
    WS_NATIVE_PORT: String(await freePort()),
    JWT_SECRET: SECRET,
    WS_PING_INTERVAL_MS: '1000',
    WS_PONG_TIMEOUT_MS: '800',
    PREDICTION_GRPC_ADDR: `127.0.0.1:${predictionPort}`,
  });
  // The doors alone: the API has its own suites (api-*).
  gateway = await startGateway(config, { logger, api: false });
  await gateway.consuming;
  publisher = createBus(loadGatewayConfig({ ...env, SERVICE_NAME: 'doors-publisher' }), logger);
  base = `ws://127.0.0.1:${gateway.port}`;
  token = await mintToken({ secret: SECRET, subject: 'e2e', ttlSeconds: 600 });
});

afterAll(async () => {
  await gateway?.close();
  await publisher?.close();
  predictionServer?.forceShutdown();
});

/** Seed 001's clients answer every ping with a pong. */
function answerPings(client: RecordingClient): void {
  client.ws.on('message', (data) => {
    if (JSON.parse(String(data)).type === 'ping') client.send({ type: 'pong' });
  });
}

describe('/ws/predictions/{symbol} (seed 001 ARAWebSocketClient)', () => {
  it('streams prediction_update, follows subscribe to a new symbol, answers request_prediction over gRPC', async () => {
    const client = connectClient(`${base}/ws/predictions/AAPL?token=${token}`);
    answerPings(client);
    expect(await client.next('connected')).toMatchObject({ symbol: 'AAPL' });

    const aapl = await publish('prediction_complete', 'AAPL', {
      symbol: 'AAPL',
      predicted_price: 150.25,
      confidence: 0.85,
      timestamp: new Date().toISOString(),
    });
    expect(await client.next('prediction_update', 20_000)).toMatchObject({
      id: aapl.id,
      symbol: 'AAPL',
      data: { predicted_price: 150.25, confidence: 0.85 },
    });

    client.send({ type: 'subscribe', symbol: 'MSFT' });
    expect(await client.next('connected')).toMatchObject({ symbol: 'MSFT' });
    await publish('prediction_complete', 'AAPL', { symbol: 'AAPL', predicted_price: 151 });
    const msft = await publish('prediction_complete', 'MSFT', { symbol: 'MSFT', predicted_price: 410 });
    expect(await client.next('prediction_update', 20_000)).toMatchObject({ id: msft.id, symbol: 'MSFT', data: { predicted_price: 410 } });

    client.send({ type: 'request_prediction', symbol: 'NVDA' });
    expect(await client.next('prediction_update')).toMatchObject({
      symbol: 'NVDA',
      id: 'pred-NVDA',
      data: { predicted_price: 123.45, symbol: 'NVDA' },
    });

    await client.next('ping', 20_000);
    expect(client.all('prediction_update').map((m) => m.symbol)).toEqual(['AAPL', 'MSFT', 'NVDA']);
    client.close();
  });
});

describe('/ws/alerts (seed 001)', () => {
  it('delivers alert messages whose data has the seed fields (type, symbol, message, severity)', async () => {
    const client = connectClient(`${base}/ws/alerts?token=${token}`);
    answerPings(client);
    await client.next('connected');
    const alert = await publish('alert_triggered', 'AAPL', {
      id: 'a1',
      alert_type: 'price_alert',
      symbol: 'AAPL',
      message: 'Price exceeded $150',
      severity: 'high',
    });
    expect(await client.next('alert', 20_000)).toMatchObject({
      id: alert.id,
      data: { type: 'price_alert', symbol: 'AAPL', message: 'Price exceeded $150', severity: 'high' },
    });
    client.close();
  });
});

describe('/ws (seed 003 cash & carry client)', () => {
  it('confirms the connection, then sends position, equity, risk status and system log updates with data', async () => {
    const client = connectClient(`${base}/ws?token=${token}`);
    expect(await client.next('connection_established')).toMatchObject({ message: expect.any(String), timestamp: expect.any(String) });

    await publish('position_update', 'BTC/USDT', {
      position_id: 'p-1',
      symbol: 'BTC/USDT',
      status: 'open',
      spot_entry_price: '45000.00',
      unrealized_pnl: '50.25',
    });
    await publish('equity_update', 'portfolio', { total_equity: '10000.00', peak_equity: '10500.00', current_equity: '10000.00' });
    await publish('risk_status_update', 'portfolio', {
      status: 'soft_pause',
      message: 'New position openings stopped.',
      drawdown_pct: '0.04',
      daily_loss_pct: '0.03',
    });
    await publish('system_log', 'PositionService', {
      level: 'INFO',
      module: 'PositionService',
      message: 'Position opened successfully',
      timestamp: new Date().toISOString(),
    });

    expect(await client.next('position_update', 20_000)).toMatchObject({
      data: { position_id: 'p-1', symbol: 'BTC/USDT', spot_entry_price: '45000.00' },
    });
    expect(await client.next('equity_update', 20_000)).toMatchObject({ data: { total_equity: '10000.00', peak_equity: '10500.00' } });
    expect(await client.next('risk_status_update', 20_000)).toMatchObject({ data: { status: 'soft_pause', drawdown_pct: '0.04' } });
    expect(await client.next('system_log', 20_000)).toMatchObject({
      data: { level: 'INFO', module: 'PositionService', message: 'Position opened successfully' },
    });
    client.close();
  });
});

describe('/ws/live (seed 004 monitoring dashboard)', () => {
  it('sends connection_established with a client id, status, rate-limit, provider-status and log messages, and pings', async () => {
    const client = connectClient(`${base}/ws/live`);
    answerPings(client);
    expect(await client.next('connection_established')).toMatchObject({ client_id: expect.any(String) });

    await publish('status_update', 'system', {
      system_metrics: { total_providers: 8, online_count: 6, degraded_count: 1, offline_count: 1, system_health: 'degraded' },
      alert_count: 2,
    });
    await publish('rate_limit_alert', 'CoinGecko', { provider: 'CoinGecko', percentage: 85, severity: 'warning', used: 85, limit: 100 });
    await publish('provider_status_change', 'CoinGecko', { provider: 'CoinGecko', old_status: 'online', new_status: 'degraded' });
    await publish('system_log', 'scheduler', { level: 'WARNING', module: 'scheduler', message: 'health check slow' });

    expect(await client.next('status_update', 20_000)).toMatchObject({
      system_metrics: { total_providers: 8, online_count: 6 },
      alert_count: 2,
      active_websocket_clients: expect.any(Number),
    });
    expect(await client.next('rate_limit_alert', 20_000)).toMatchObject({ provider: 'CoinGecko', percentage: 85 });
    expect(await client.next('provider_status_change', 20_000)).toMatchObject({
      provider: 'CoinGecko',
      old_status: 'online',
      new_status: 'degraded',
    });
    expect(await client.next('new_log_entry', 20_000)).toMatchObject({ data: { level: 'WARNING', message: 'health check slow' } });
    await client.next('ping', 20_000);
    client.close();
  });
});

describe('/ws/stream and the native port (seed 002 StreamingClient)', () => {
  it('authenticates with an auth message, subscribes with filters, gets data by subscription id, unsubscribes', async () => {
    const client = connectClient(`ws://127.0.0.1:${gateway.nativePort}`);
    await client.opened();
    client.send({ type: 'auth', data: { token } });
    expect(await client.next('auth_success')).toMatchObject({ data: { client_id: expect.any(String) } });

    client.send({
      type: 'subscribe',
      data: { type: 'events', filters: { event_type: 'market_data_update', 'payload.symbol': ['AAPL', 'MSFT'] } },
    });
    const { subscription_id } = await client.next('subscribed');
    client.send({ type: 'subscribe', data: { type: 'metrics' } });
    const metrics = await client.next('subscribed');

    await publish('market_data_update', 'GOOG', { symbol: 'GOOG', price: 170 });
    const msft = await publish('market_data_update', 'MSFT', { symbol: 'MSFT', price: 410 });
    await publish('status_update', 'system', { system_metrics: { total_providers: 3 } });

    const data = await client.next('data', 20_000);
    const second = await client.next('data', 20_000);
    const [tick, status] = data.subscription_id === subscription_id ? [data, second] : [second, data];
    // Seed 002's DATA shape: every field it names, whatever the filters fix (the id is the event's event_id).
    expect(tick).toMatchObject({
      subscription_id,
      data: {
        subscription_type: 'events',
        event: { event_id: msft.id, event_type: 'market_data_update', payload: { symbol: 'MSFT', price: 410 } },
      },
    });
    expect(status).toMatchObject({
      subscription_id: metrics.subscription_id,
      data: { subscription_type: 'metrics', metrics: { event_type: 'status_update', system_metrics: { total_providers: 3 } } },
    });

    client.send({ type: 'unsubscribe', data: { subscription_id } });
    await client.next('unsubscribed');
    client.send({ type: 'ping' });
    await client.next('pong');
    client.send({ type: 'bogus' });
    expect(await client.next('error')).toMatchObject({ data: { error: 'Unknown message type' } });
    client.close();
  });

  it('serves the same protocol at /ws/stream on the main port and refuses a bad token with auth_failed and 1008', async () => {
    const client = connectClient(`${base}/ws/stream`);
    await client.opened();
    client.send({ type: 'auth', data: { token: 'not-a-valid-token' } });
    expect(await client.next('auth_failed')).toMatchObject({ data: { error: expect.any(String) } });
    expect((await client.closed).code).toBe(1008);
  });
});
