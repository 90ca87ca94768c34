import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { events, realtime, webhooks } from '@marketpulse/proto';
import { createClient } from '@marketpulse/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  ensureZipkin,
  freePort,
  kafkaBrokers,
  uniqueTopicPrefix,
  waitFor,
  type ManagedProcess,
  type TestDatabase,
} from '../harness';
import {
  HookReceiver,
  jwtFor,
  parentIdOf,
  readTrace,
  readTraceWith,
  startTracedGateway,
  startTracedService,
  traceIdOf,
  WsListener,
  type Trace,
  type ZipkinSpan,
} from './trace-support';

// One request through the whole suite, read back from Zipkin: an event published through the
// gateway's gRPC publish API reaches a subscribed webhook endpoint and a WebSocket client, and
// every hop (gRPC, Kafka produce and consume, PostgreSQL, the webhook request) is one trace.

const SECRET = 'trace-e2e-secret-0123456789abcdef';
const isDb = (s: ZipkinSpan) =>
  s.kind === 'CLIENT' && (s.tags?.['db.system'] === 'postgresql' || s.tags?.['db.system.name'] === 'postgresql');
const isHttpClient = (s: ZipkinSpan) => s.kind === 'CLIENT' && (s.tags?.['http.request.method'] ?? s.tags?.['http.method']) === 'POST';

describe('one trace from the publish API to the webhook receiver and the WebSocket client', () => {
  let zipkin: string;
  let prefix: string;
  const dbs: TestDatabase[] = [];
  const procs: ManagedProcess[] = [];
  let receiver: HookReceiver;
  let ws: WsListener | undefined;
  let gatewayPort: number;
  let gatewayMetricsPort: number;
  let publishPort: number;
  let webhookPort: number;

  beforeAll(async () => {
    zipkin = await ensureZipkin();
    prefix = uniqueTopicPrefix('trace-publish');
    const [whDb, gwDb] = await Promise.all([createTestDatabase('trace-webhooks'), createTestDatabase('trace-gateway')]);
    dbs.push(whDb, gwDb);
    receiver = await HookReceiver.start();
    [gatewayPort, publishPort, webhookPort, gatewayMetricsPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const common = { BUS: 'kafka', KAFKA_BROKERS: kafkaBrokers(), KAFKA_TOPIC_PREFIX: prefix, METRICS_PORT: '0' };

    procs.push(
      await startTracedService(zipkin, 'services/webhook-delivery', {
        ...common,
        DATABASE_URL: whDb.url,
        GRPC_PORT: String(webhookPort),
        WEBHOOK_ALLOW_LOOPBACK: 'true',
        WEBHOOK_POLL_MS: '100',
      }),
    );
    procs.push(
      await startTracedGateway(zipkin, {
        ...common,
        DATABASE_URL: gwDb.url,
        GATEWAY_PORT: String(gatewayPort),
        METRICS_PORT: String(gatewayMetricsPort),
        PUBLISH_GRPC_PORT: String(publishPort),
        JWT_SECRET: SECRET,
      }),
    );
  }, 300_000);

  afterAll(async () => {
    ws?.close();
    await Promise.all(procs.map((p) => p.stop(10_000)));
    await receiver?.close();
    await Promise.all(dbs.map((d) => d.drop()));
  });

  it('links gateway, Kafka, webhook-delivery, its queries and the outgoing request under one trace id', async () => {
    const hooks = createClient(webhooks.WebhookServiceClient, `127.0.0.1:${webhookPort}`, { deadlineMs: 10_000 });
    await new Promise<webhooks.CreateEndpointResponse>((resolve, reject) =>
      hooks.createEndpoint(
        {
          endpoint: webhooks.Endpoint.fromPartial({
            user_id: 'trace-user',
            // A receiver that takes its credential in the query: it must not reach the trace.
            url: `${receiver.url}?rtoken=RECEIVER-QUERY-SECRET`,
            events: ['position_update'],
            active: true,
          }),
        },
        (err, res) => (err ? reject(err) : resolve(res)),
      ),
    );
    hooks.close();
    ws = await WsListener.open(`ws://127.0.0.1:${gatewayPort}/ws`);
    await waitFor(() => ws!.ofType('connection_established').length > 0, { what: 'the WebSocket welcome' });

    const publisher = createClient(realtime.PublishServiceClient, `127.0.0.1:${publishPort}`, { deadlineMs: 10_000 });
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${jwtFor(SECRET, 'trading-engine', ['publish'])}`);
    const event = events.Event.fromPartial({
      type: 'position_update',
      subject: 'BTC/USDT',
      payload: {
        $case: 'position_update',
        position_update: { position_id: 'pos-trace-1', symbol: 'BTC/USDT', status: 'open', unrealized_pnl: '12.5' },
      },
    });
    await new Promise<realtime.PublishResponse>((resolve, reject) =>
      publisher.publish({ event }, metadata, (err, res) => (err ? reject(err) : resolve(res))),
    );
    publisher.close();

    const delivered = await waitFor(() => receiver.requests[0], { timeoutMs: 30_000, what: 'the webhook request' });
    const traceId = traceIdOf(delivered.headers.traceparent);
    const pushed = await waitFor(() => ws!.ofType('position_update')[0], { timeoutMs: 15_000, what: 'the WebSocket position_update' });
    expect(pushed.trace_id).toBe(traceId);

    const topic = `${prefix}position_update`.toLowerCase();
    const spansOf = (t: Trace) => {
      const rpc = t.one('gateway', 'gRPC server', (s) => s.kind === 'SERVER' && s.name.includes('publishservice/publish'));
      const produce = t.one('gateway', 'Kafka produce', (s) => s.kind === 'PRODUCER' && s.name === `send ${topic}`);
      const consume = t.one('webhook-delivery', 'Kafka consume', (s) => s.kind === 'CONSUMER' && s.name === `process ${topic}`);
      const deliver = t.one('webhook-delivery', 'webhook deliver', (s) => s.name === 'webhook deliver');
      const request = t.one('webhook-delivery', 'outgoing HTTP', (s) => isHttpClient(s) && t.isBelow(s, deliver));
      const gatewayConsume = t.one('gateway', 'Kafka consume', (s) => s.kind === 'CONSUMER' && s.name === `process ${topic}`);
      return { rpc, produce, consume, deliver, request, gatewayConsume };
    };
    const {
      trace,
      spans: { rpc, produce, consume, deliver, request, gatewayConsume },
    } = await readTraceWith(zipkin, traceId, spansOf);
    // One root: the gateway's gRPC server span; everything else hangs below it.
    expect(trace.roots().map((s) => s.id)).toEqual([rpc.id]);
    expect(trace.isBelow(produce, rpc)).toBe(true);
    expect(consume.parentId).toBe(produce.id);
    expect(gatewayConsume.parentId).toBe(produce.id);
    expect(trace.isBelow(deliver, consume)).toBe(true);
    expect(deliver.tags?.['webhook.event_type']).toBe('position_update');
    // The receiver saw the outgoing request's own span as its parent.
    expect(parentIdOf(delivered.headers.traceparent)).toBe(request.id);
    // The delivery service's database work: the intake's insert under the consumer span, the attempt's record under the delivery.
    expect(
      trace.find('webhook-delivery', (s) => isDb(s) && trace.isBelow(s, consume) && !trace.isBelow(s, deliver)).length,
    ).toBeGreaterThan(0);
    expect(trace.find('webhook-delivery', (s) => isDb(s) && trace.isBelow(s, deliver)).length).toBeGreaterThan(0);
    // Semantic conventions on the hops.
    expect(rpc.tags).toMatchObject({ 'rpc.system': 'grpc' });
    expect(produce.tags).toMatchObject({ 'messaging.system': 'kafka', 'marketpulse.event.type': 'position_update' });
    expect(consume.tags).toMatchObject({ 'messaging.system': 'kafka', 'messaging.destination.name': `${prefix}position_update` });
    // The receiver's query is in the span, its values are not (before: url.full carried the secret).
    expect(request.tags?.['url.full']).toMatch(/\/hook\?rtoken=REDACTED$/);
    expect(JSON.stringify(trace.spans)).not.toContain('RECEIVER-QUERY-SECRET');

    // The same request in the gateway's Prometheus figures, on the scraper's port (the public one needs ops:read in production).
    const metrics = await (await fetch(`http://127.0.0.1:${gatewayMetricsPort}/metrics`)).text();
    expect(metrics).toMatch(
      /^grpc_server_handled_total\{[^}]*grpc_service="marketpulse\.realtime\.v1\.PublishService",grpc_method="Publish"[^}]*grpc_code="OK"\} 1$/m,
    );
    expect(metrics).toContain(`marketpulse_kafka_messages_produced_total{topic="${prefix}position_update",outcome="ok"} 1`);
  }, 90_000);

  it("keeps a credential in a request's query out of the gateway's server span", async () => {
    const traceId = randomBytes(16).toString('hex');
    const token = jwtFor(SECRET, 'trace-user', ['read']);
    const res = await fetch(`http://127.0.0.1:${gatewayPort}/api/v1/event-types?token=${token}&limit=5`, {
      headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
    });
    await res.arrayBuffer();
    // The request's parent is ours, not in Zipkin: read the trace once the gateway's span is in it.
    const isServer = (s: ZipkinSpan) => s.kind === 'SERVER' && s.name.includes('/api/v1/event-types');
    const trace = await readTrace(zipkin, traceId, (t) => t.find('gateway', isServer).length === 1);
    const [server] = trace.find('gateway', isServer);
    // Before: url.query held the whole JWT.
    expect(server!.tags?.['url.query']).toBe('token=REDACTED&limit=5');
    expect(JSON.stringify(trace.spans)).not.toContain(token.split('.')[2]);
  }, 60_000);
});
