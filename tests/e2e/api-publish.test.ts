import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { loadGatewayConfig, startGateway, type GatewayHandle } from '@marketpulse/gateway';
import { events, realtime } from '@marketpulse/proto';
import { createBus, createLogger, type Bus } from '@marketpulse/runtime';
import { createTestDatabase, kafkaBrokers, uniqueTopicPrefix, waitFor, type TestDatabase } from '@marketpulse/tests';
import type { WebhookDeliveryHandle } from '@marketpulse/webhook-delivery';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET, tokenFor } from './api.kit';
import { startWebhookDeliveryHere } from './webhooks-support';
import { connectClient } from './gateway_ws_client';
import { SEED_003_POSITION } from '../contract/seed_fixtures';

// The publish API end to end over real Kafka: an outside service (seed 003's trading engine)
// publishes a position over gRPC realtime.PublishService; it reaches a `/ws` client as the seed's
// position_update and a webhook subscribed to position_update, signed (Standard Webhooks).

const logger = createLogger('api-publish-e2e', {}, { level: 'warn' });
const prefix = uniqueTopicPrefix('api-publish');

let bus: Bus;
let gateway: GatewayHandle;
let webhooksService: WebhookDeliveryHandle;
let whDb: TestDatabase;
let gwDb: TestDatabase;
let receiver: Server;
let receiverUrl: string;
const received: { headers: IncomingHttpHeaders; body: string }[] = [];
let base: string;

function publishClient(): realtime.PublishServiceClient {
  return new realtime.PublishServiceClient(`127.0.0.1:${gateway.publishPort}`, grpc.credentials.createInsecure());
}

function publishOverGrpc(
  client: realtime.PublishServiceClient,
  event: Partial<events.Event>,
  token?: string,
): Promise<realtime.PublishResponse> {
  const md = new grpc.Metadata();
  if (token) md.set('authorization', `Bearer ${token}`);
  return new Promise((resolve, reject) =>
    client.publish({ event: events.Event.fromPartial(event) }, md, { deadline: Date.now() + 5000 }, (err, res) =>
      err ? reject(err) : resolve(res),
    ),
  );
}

beforeAll(async () => {
  const common = { BUS: 'kafka', KAFKA_BROKERS: kafkaBrokers(), KAFKA_TOPIC_PREFIX: prefix, KAFKA_PARTITIONS: '1', LOG_LEVEL: 'warn' };
  bus = createBus(loadGatewayConfig(common), logger);
  [whDb, gwDb] = await Promise.all([createTestDatabase('api-publish-wh'), createTestDatabase('api-publish-gw')]);

  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;

  webhooksService = await startWebhookDeliveryHere({ ...common, DATABASE_URL: whDb.url, WEBHOOK_POLL_MS: '50' }, { bus, logger });
  // The gateway starts its API from config, as in production.
  gateway = await startGateway(
    loadGatewayConfig({
      ...common,
      GATEWAY_PORT: '0',
      JWT_SECRET: SECRET,
      PUBLISH_GRPC_PORT: '0',
      DATABASE_URL: gwDb.url,
      WEBHOOK_GRPC_ADDR: `127.0.0.1:${webhooksService.grpcPort}`,
    }),
    { bus, logger },
  );
  base = `127.0.0.1:${gateway.port}`;
  await gateway.consuming;
}, 120_000);

afterAll(async () => {
  await gateway?.close();
  await webhooksService?.close();
  await bus?.close();
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
  await Promise.all([whDb?.drop(), gwDb?.drop()]);
});

describe('publish API', () => {
  it('an event published over gRPC reaches a /ws client as position_update and a subscribed webhook', async () => {
    const owner = tokenFor('trader', ['read', 'webhooks:write']);
    const created = await fetch(`http://${base}/api/v1/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${owner}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: receiverUrl, events: ['position_update'] }),
    });
    expect(created.status).toBe(201);
    const webhook = (await created.json()) as { id: string; secret: string };
    expect(webhook.secret).toMatch(/^whsec_/);

    const ws = connectClient(`ws://${base}/ws`);
    await ws.next('connection_established');

    const position = SEED_003_POSITION;
    const client = publishClient();
    try {
      const res = await publishOverGrpc(
        client,
        { type: 'position_update', payload: { $case: 'position_update', position_update: position } },
        tokenFor('trading-engine', ['publish']),
      );
      const accepted = res.event!;
      expect(accepted).toMatchObject({ type: 'position_update', source: 'trading-engine', subject: 'BTC/USDT' });
      expect(accepted.id).not.toBe('');

      const message = await ws.next('position_update', 20_000);
      expect(message).toMatchObject({ type: 'position_update', data: position });

      const delivery = await waitFor(() => received.find((r) => r.headers['webhook-id'] === accepted.id), {
        what: 'the webhook delivery',
        timeoutMs: 30_000,
      });
      const verified = new Webhook(webhook.secret).verify(delivery.body, delivery.headers as Record<string, string>) as Record<string, any>;
      expect(JSON.stringify(verified)).toContain('pos-1');
    } finally {
      client.close();
      ws.close();
    }
  }, 60_000);

  it('refuses an event that breaks its contract, naming the field, and publishes nothing', async () => {
    const client = publishClient();
    try {
      const err = await publishOverGrpc(
        client,
        {
          type: 'equity_update',
          payload: { $case: 'equity_update', equity_update: { total_equity: 'ten thousand', peak_equity: '', current_equity: '' } },
        },
        tokenFor('trading-engine', ['publish']),
      ).catch((e: grpc.ServiceError) => e);
      expect((err as grpc.ServiceError).code).toBe(grpc.status.INVALID_ARGUMENT);
      expect((err as grpc.ServiceError).details).toContain('data.total_equity');
      const denied = await publishOverGrpc(
        client,
        {
          type: 'system_log',
          payload: { $case: 'system_log', system_log: { level: 'INFO', module: 'm', message: 'x', service: '', trace_id: '' } },
        },
        tokenFor('reader', ['read']),
      ).catch((e: grpc.ServiceError) => e);
      expect((denied as grpc.ServiceError).code).toBe(grpc.status.PERMISSION_DENIED);
      const anonymous = await publishOverGrpc(client, { type: 'system_log' }).catch((e: grpc.ServiceError) => e);
      expect((anonymous as grpc.ServiceError).code).toBe(grpc.status.UNAUTHENTICATED);
    } finally {
      client.close();
    }
  });

  it('POST /api/v1/publish accepts the same event over REST', async () => {
    const ws = connectClient(`ws://${base}/ws`);
    await ws.next('connection_established');
    try {
      const res = await fetch(`http://${base}/api/v1/publish`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokenFor('trading-engine', ['publish'])}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          type: 'risk_status_update',
          data: { status: 'soft_pause', message: 'New position openings stopped.', drawdown_pct: '0.04', daily_loss_pct: '0.03' },
        }),
      });
      expect(res.status).toBe(202);
      const published = (await res.json()) as { id: string };
      const message = await ws.next('risk_status_update', 20_000);
      expect(message).toMatchObject({ data: { status: 'soft_pause', drawdown_pct: '0.04' } });
      expect(message.id ?? published.id).toBe(published.id);
    } finally {
      ws.close();
    }
  }, 40_000);
});
