import { events } from '@marketpulse/proto';
import { createLogger } from '@marketpulse/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { mintToken } from '../../auth';
import { loadGatewayConfig } from '../../config';
import { startGateway, type GatewayHandle } from '../../service';
import type { Publication } from '../history';
import { subscriptionId } from './stream';

// Seed 002's JavaScript example client ("Client Examples"), run against `/ws/stream` as the seed
// wrote it: DESIGN.md promises "the seeds' example clients work unchanged but for host and port".
// Its callbacks then read the DATA message's fields the way the seed's section "DATA" shows them.

const SECRET = 'stream-seed-client-secret-0123456789';
const logger = createLogger('stream-seed-client-test', {}, { level: 'silent' });
const cleanup: (() => unknown)[] = [];

afterEach(async () => {
  for (const stop of cleanup.splice(0).reverse()) await stop();
});

/** Seed 002's `StreamingClient` as written (types added; `unsubscribe`, `onclose` and its console lines left out, two fields record what it logs). */
class StreamingClient {
  url: string;
  token: string;
  subscriptions: Map<string, (data: any) => void>;
  ws!: WebSocket;
  constructor(url: string, token: string) {
    this.url = url;
    this.token = token;
    this.subscriptions = new Map();
    this.connect();
  }

  connect() {
    this.ws = new WebSocket(this.url);

    this.ws.onopen = () => {
      this.authenticate();
    };

    this.ws.onmessage = (event) => {
      const message = JSON.parse(event.data as string);
      this.handleMessage(message);
    };
  }

  authenticate() {
    this.send({
      type: 'auth',
      data: { token: this.token },
    });
  }

  subscribe(type: string, filters = {}) {
    const subscriptionId = this.generateId();
    this.send({
      type: 'subscribe',
      data: { type, filters },
    });
    return subscriptionId;
  }

  send(message: any) {
    if (this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(message));
    }
  }

  handleMessage(message: any) {
    switch (message.type) {
      case 'auth_success':
        this.authenticated = true;
        break;
      case 'data':
        this.handleData(message);
        break;
      case 'error':
        this.errors.push(message.data.error);
        break;
    }
  }

  handleData(message: any) {
    const callback = this.subscriptions.get(message.subscription_id);
    if (callback) {
      callback(message.data);
    }
  }

  generateId() {
    return Math.random().toString(36).substr(2, 9);
  }

  // The test's eyes in place of the seed's console lines.
  authenticated = false;
  errors: string[] = [];
}

async function until(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

let seq = 0;
function publish(gw: GatewayHandle, type: string, subject: string, payload: object, channels: string[]): Publication {
  const data = (
    events.Event.fromPartial({ payload: { $case: type, [type]: payload } } as events.Event).payload as unknown as Record<
      string,
      Record<string, unknown>
    >
  )[type]!;
  const pub = gw.hub.publish([...channels, 'events'], {
    id: `evt-${++seq}`,
    type,
    source: 'market-data',
    subject,
    owner: '',
    time: new Date(Date.UTC(2026, 11, 6, 1, 0, seq)).toISOString(),
    traceId: '',
    data,
  });
  if (!pub) throw new Error('not published');
  return pub;
}

describe("seed 002's example StreamingClient on /ws/stream", () => {
  it('authenticates, subscribes with filters and reads each DATA field the seed shows, even those its filters fix', async () => {
    const config = loadGatewayConfig({ BUS: 'memory', GATEWAY_PORT: '0', LOG_LEVEL: 'silent', JWT_SECRET: SECRET });
    const gw = await startGateway(config, { logger, getPrediction: () => Promise.reject(new Error('unused')), api: false });
    cleanup.push(() => gw.close());

    const client = new StreamingClient(
      `ws://127.0.0.1:${gw.port}/ws/stream`,
      await mintToken({ secret: SECRET, subject: 'seed', ttlSeconds: 600 }),
    );
    cleanup.push(() => client.ws.close());
    await until('auth_success', () => client.authenticated);

    // The seed's usage subscribes by event_type and a payload field; its data arrive under the
    // gateway's subscription id (the same for the same type and filters), where the callback waits.
    const filters = { event_type: 'market_data_update', 'payload.symbol': 'AAPL' };
    const seen: any[] = [];
    client.subscriptions.set(subscriptionId('events', filters), (data) =>
      seen.push({
        id: data.event.event_id,
        type: data.event.event_type,
        at: data.event.timestamp,
        payload: data.event.payload,
        subscription: data.subscription_type,
      }),
    );
    client.subscribe('events', filters);

    const metrics: any[] = [];
    client.subscriptions.set(subscriptionId('metrics', {}), (data) =>
      metrics.push({ subscription: data.subscription_type, item: data.metrics }),
    );
    client.subscribe('metrics');

    // The seed's client does not wait for `subscribed`: publish (every 100 ms) until a tick arrives.
    const ticks: Publication[] = [];
    let polls = 0;
    await until('a tick', () => {
      if (seen.length === 0 && polls++ % 10 === 0)
        ticks.push(publish(gw, 'market_data_update', 'AAPL', { symbol: 'AAPL', price: 187.25 }, ['market-data:AAPL']));
      return seen.length > 0;
    });
    const tick = ticks.find((t) => t.id === seen[0].id)!;
    expect(seen[0]).toEqual({
      id: tick.id,
      type: 'market_data_update',
      at: tick.time,
      // The payload is opaque to the seed: ours leaves out what the filter fixes (`symbol`) and contract defaults.
      payload: { price: 187.25 },
      subscription: 'events',
    });

    polls = 0;
    await until('a status update', () => {
      if (metrics.length === 0 && polls++ % 10 === 0)
        publish(gw, 'status_update', 'system', { system_metrics: { total_providers: 3 } }, ['system']);
      return metrics.length > 0;
    });
    expect(metrics[0]).toMatchObject({
      subscription: 'metrics',
      item: { event_type: 'status_update', system_metrics: { total_providers: 3 } },
    });
    expect(client.errors).toEqual([]);
  });
});
