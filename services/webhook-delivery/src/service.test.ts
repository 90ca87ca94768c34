import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { events, webhooks } from '@marketpulse/proto';
import { createClient, createLogger, HIDDEN_HEADER_VALUE, MemoryBroker, MemoryBus } from '@marketpulse/runtime';
import { afterAll, expect, it } from 'vitest';
import { loadConfig } from './config';
import { startWebhookDelivery } from './service';

// The one-process quick start: in-memory bus, embedded PGlite, everything in this process.

const dir = mkdtempSync(join(tmpdir(), 'webhook-service-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('delivers an event published on the in-memory bus, and announces its own outcomes', async () => {
  const bodies: string[] = [];
  const receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      bodies.push(body);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const logger = createLogger('webhook-delivery', {}, { level: 'silent' });
  const bus = new MemoryBus({ broker: new MemoryBroker({ logger }), topicPrefix: 'mp.' });
  const outcomes: events.Event[] = [];
  await bus.subscribe({ groupId: 'dashboard', types: ['webhook_delivery'], handler: async (d) => void outcomes.push(d.event) });
  const config = loadConfig({ PGLITE_DIR: dir, GRPC_PORT: '0', WEBHOOK_ALLOW_LOOPBACK: 'true', WEBHOOK_POLL_MS: '50' });
  const handle = await startWebhookDelivery(config, { bus, logger });
  try {
    const ep = await handle.api.createEndpoint(
      'u1',
      {
        url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/in`,
        events: ['alert_triggered'],
        subjects: [],
        active: true,
        description: '',
        headers: {},
        rate_limit_per_second: 0,
      },
      '',
    );
    await bus.publish(
      events.Event.fromPartial({
        id: 'evt_mem_1',
        type: 'alert_triggered',
        source: 'alerting',
        subject: 'AAPL',
        time: new Date().toISOString(),
        payload: { $case: 'alert_triggered', alert_triggered: {} },
      }),
    );
    for (let i = 0; i < 100 && bodies.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(JSON.parse(bodies[0])).toMatchObject({ id: 'evt_mem_1', type: 'alert_triggered' });
    for (let i = 0; i < 40 && outcomes.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    const outcome = outcomes[0]?.payload;
    expect(outcome?.$case === 'webhook_delivery' && outcome.webhook_delivery).toMatchObject({
      endpoint_id: ep.id,
      user_id: 'u1',
      event_id: 'evt_mem_1',
      status: 'delivered',
    });
  } finally {
    await handle.close();
    await bus.close();
    receiver.closeAllConnections();
    receiver.close();
  }
});

it("never shows a credential header's or URL query parameter's value, and keeps it when an update sends the placeholder back", async () => {
  const got: http.IncomingHttpHeaders[] = [];
  const paths: string[] = [];
  const receiver = http.createServer((req, res) => {
    got.push(req.headers);
    paths.push(req.url ?? '');
    req.resume().on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const logger = createLogger('webhook-delivery', {}, { level: 'silent' });
  const bus = new MemoryBus({ broker: new MemoryBroker({ logger }), topicPrefix: 'mp2.' });
  const config = loadConfig({ PGLITE_DIR: join(dir, 'headers'), GRPC_PORT: '0', WEBHOOK_ALLOW_LOOPBACK: 'true', WEBHOOK_POLL_MS: '50' });
  const handle = await startWebhookDelivery(config, { bus, logger });
  const client = createClient(webhooks.WebhookServiceClient, `127.0.0.1:${handle.grpcPort}`, { deadlineMs: 10_000 });
  const call = <Req, Res>(method: (req: Req, cb: (err: Error | null, res: Res) => void) => unknown, req: Req) =>
    new Promise<Res>((resolve, reject) => method.call(client, req, (err, res) => (err ? reject(err) : resolve(res))));
  try {
    const { endpoint: created } = await call<webhooks.CreateEndpointRequest, webhooks.CreateEndpointResponse>(client.createEndpoint, {
      endpoint: webhooks.Endpoint.fromPartial({
        user_id: 'u2',
        url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/in?token=RECEIVER-QTOKEN&tenant=acme`,
        events: ['alert_triggered'],
        active: true,
        headers: { Authorization: 'Bearer RECEIVER-SECRET', 'X-Api-Key': 'RECEIVER-KEY', 'X-Tenant': 'acme' },
      }),
    });
    const shown = { Authorization: HIDDEN_HEADER_VALUE, 'X-Api-Key': HIDDEN_HEADER_VALUE, 'X-Tenant': 'acme' };
    // Before: every read, a read-only key's included, returned the receiver's credentials whole.
    expect(created!.headers).toEqual(shown);
    expect(created!.url).toMatch(/\/in\?token=\*{8}&tenant=acme$/);
    const { endpoint: read } = await call<webhooks.GetEndpointRequest, webhooks.GetEndpointResponse>(client.getEndpoint, {
      user_id: 'u2',
      id: created!.id,
    });
    expect(read!.headers).toEqual(shown);
    expect(read!.url).toBe(created!.url);
    const { endpoints } = await call<webhooks.ListEndpointsRequest, webhooks.ListEndpointsResponse>(client.listEndpoints, {
      user_id: 'u2',
    });
    expect(JSON.stringify(endpoints)).not.toMatch(/RECEIVER-(SECRET|KEY|QTOKEN)/);
    // Written back as read, with one more header and query parameter: the hidden values stay what they were.
    const { endpoint: updated } = await call<webhooks.UpdateEndpointRequest, webhooks.UpdateEndpointResponse>(client.updateEndpoint, {
      user_id: 'u2',
      endpoint: webhooks.Endpoint.fromPartial({ id: created!.id, headers: { ...read!.headers, 'X-More': '1' }, url: `${read!.url}&v=2` }),
      update_mask: ['headers', 'url'],
    });
    expect(updated!.url).toBe(`${created!.url}&v=2`);
    // The placeholder on another address would hand the receiver's credential to it: refused.
    await expect(
      call(client.updateEndpoint, {
        user_id: 'u2',
        endpoint: webhooks.Endpoint.fromPartial({ id: created!.id, url: read!.url.replace('/in?', '/elsewhere?') }),
        update_mask: ['url'],
      }),
    ).rejects.toThrow(/placeholder of a hidden value/);
    await expect(
      call(client.updateEndpoint, {
        user_id: 'u2',
        endpoint: webhooks.Endpoint.fromPartial({ id: created!.id, headers: { Cookie: HIDDEN_HEADER_VALUE } }),
        update_mask: ['headers'],
      }),
    ).rejects.toThrow(/placeholder of a hidden value/);
    await bus.publish(
      events.Event.fromPartial({
        id: 'evt_hdr_1',
        type: 'alert_triggered',
        source: 'alerting',
        subject: 'AAPL',
        time: new Date().toISOString(),
        payload: { $case: 'alert_triggered', alert_triggered: {} },
      }),
    );
    for (let i = 0; i < 100 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(paths[0]).toBe('/in?token=RECEIVER-QTOKEN&tenant=acme&v=2');
    expect(got[0]).toMatchObject({
      authorization: 'Bearer RECEIVER-SECRET',
      'x-api-key': 'RECEIVER-KEY',
      'x-tenant': 'acme',
      'x-more': '1',
    });
  } finally {
    client.close();
    await handle.close();
    await bus.close();
    receiver.closeAllConnections();
    receiver.close();
  }
});
