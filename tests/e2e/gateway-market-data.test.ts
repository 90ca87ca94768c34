import { randomUUID } from 'node:crypto';
import { loadGatewayConfig, startGateway, type GatewayHandle } from '@marketpulse/gateway';
import type { events } from '@marketpulse/proto';
import { createBus, createLogger, type Bus } from '@marketpulse/runtime';
import { createTestDatabase, kafkaBrokers, uniqueTopicPrefix, waitFor, type TestDatabase } from '@marketpulse/tests';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

// The walking skeleton's edge: market_data_update Events on Kafka reach a plain `ws` client on
// /ws/market-data/AAPL as the seed 001 protocol (connected, then market_data_update for AAPL only);
// the gateway started from config alone also serves the API on the same port.

const logger = createLogger('gateway-e2e', {}, { level: 'warn' });

function tick(symbol: string, price: number): events.Event {
  const time = new Date().toISOString();
  return {
    id: randomUUID(),
    type: 'market_data_update',
    source: 'market-data',
    subject: symbol,
    time,
    owner: '',
    payload: {
      $case: 'market_data_update',
      market_data_update: {
        symbol,
        price,
        volume: 1000,
        bid: price - 0.01,
        ask: price + 0.01,
        timestamp: time,
        provider: 'simulated',
        sequence: '1',
      },
    },
  };
}

type Message = { type: string; [k: string]: unknown };

describe('gateway /ws/market-data/{symbol} over Kafka', () => {
  let gateway: GatewayHandle;
  let publisher: Bus;
  let db: TestDatabase;
  const env = () => ({ BUS: 'kafka', KAFKA_BROKERS: kafkaBrokers(), KAFKA_TOPIC_PREFIX: prefix, LOG_LEVEL: 'warn' });
  const prefix = uniqueTopicPrefix('gateway-market-data');

  beforeAll(async () => {
    db = await createTestDatabase('gateway-market-data');
    const config = loadGatewayConfig({
      ...env(),
      GATEWAY_PORT: '0',
      PUBLISH_GRPC_PORT: '0',
      DATABASE_URL: db.url,
      SERVICE_NAME: 'gateway-e2e',
    });
    gateway = await startGateway(config, { logger, getPrediction: async () => Promise.reject(new Error('not in this test')) });
    await gateway.consuming;
    publisher = createBus(loadGatewayConfig({ ...env(), SERVICE_NAME: 'e2e-publisher' }), logger);
  });

  afterAll(async () => {
    await gateway?.close();
    await publisher?.close();
    await db?.drop();
  });

  it('sends connected, then every AAPL tick in order, and nothing for other symbols', async () => {
    const client = new WebSocket(`ws://127.0.0.1:${gateway.port}/ws/market-data/AAPL`);
    const received: Message[] = [];
    client.on('message', (data) => received.push(JSON.parse(String(data)) as Message));
    await waitFor(() => received.some((m) => m.type === 'connected'), { what: 'the connected message' });
    expect(received[0]).toMatchObject({ type: 'connected', symbol: 'AAPL' });

    const aapl = [tick('AAPL', 150.25), tick('AAPL', 150.5)];
    await publisher.publish([aapl[0]!, tick('MSFT', 400), aapl[1]!, tick('GOOG', 170)]);

    const updates = await waitFor(
      () => {
        const u = received.filter((m) => m.type === 'market_data_update');
        return u.length >= 2 && u;
      },
      { what: 'two market_data_update messages', timeoutMs: 20_000 },
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(received.filter((m) => m.type === 'market_data_update')).toHaveLength(2);
    expect(updates.map((m) => m.id)).toEqual(aapl.map((e) => e.id));
    expect(updates[0]).toMatchObject({
      type: 'market_data_update',
      symbol: 'AAPL',
      data: { symbol: 'AAPL', price: 150.25, volume: 1000 },
      trace_id: expect.any(String),
    });
    expect(updates[1]).toMatchObject({ data: { price: 150.5 } });
    client.close();
  });

  it('reports the bus healthy, the connection in /ws/stats and the doors in /info', async () => {
    const client = new WebSocket(`ws://127.0.0.1:${gateway.port}/ws/market-data/MSFT`);
    await new Promise((resolve) => client.once('message', resolve));
    const base = `http://127.0.0.1:${gateway.port}`;

    const health = await waitFor(
      async () => {
        const body = (await (await fetch(`${base}/health`)).json()) as { components: Record<string, { status: string }> };
        return body.components.event_consumer?.status === 'healthy' && body;
      },
      { what: 'a healthy event consumer in /health' },
    );
    expect(health.components.bus).toMatchObject({ status: 'healthy' });
    expect(health.components.websocket).toMatchObject({ status: 'running' });

    const stats = (await (await fetch(`${base}/ws/stats`)).json()) as Record<string, unknown>;
    expect(stats).toMatchObject({ is_running: true, channels: { 'market-data:MSFT': 1 } });
    expect(stats.active_connections).toBeGreaterThanOrEqual(1);

    const info = (await (await fetch(`${base}/info`)).json()) as { endpoints: { websocket: string[] } };
    expect(info.endpoints.websocket).toContain('/ws/market-data/{symbol}');
    client.close();
  });

  it('serves the API from the same port without any mounting by the caller', async () => {
    const base = `http://127.0.0.1:${gateway.port}`;
    const openapi = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths)).toContain('/api/v1/api-keys');
    const unauthenticated = await fetch(`${base}/api/v1/api-keys`);
    expect(unauthenticated.status).toBe(401);
    expect((await (await fetch(`${base}/docs`)).text()).toLowerCase()).toContain('swagger');
    // The production profile: the public /metrics needs an ops:read credential (a scraper reads METRICS_PORT).
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect(gateway.publishPort).toBeGreaterThan(0);
  });
});
