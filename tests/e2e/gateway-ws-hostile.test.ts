import { AppError, createLogger } from '@marketpulse/runtime';
import * as grpc from '@grpc/grpc-js';
import { loadGatewayConfig, startGateway, type GatewayHandle } from '@marketpulse/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, type RecordingClient } from './gateway_ws_client';

// Issue 13: client messages the doors used to fail on (closing with 1011) get an `error` message
// from codes.ts and the connection stays open: filters nested 5,000 deep, an unsubscribe whose id
// is an object (whose toString is not a function), over-large filters, inherited property names,
// numbers and symbols that are objects; and a service's refusal keeps its reason, not its text.

const logger = createLogger('gateway-ws-hostile', {}, { level: 'silent' });
let gateway: GatewayHandle;
let base: string;

beforeAll(async () => {
  const config = loadGatewayConfig({
    SERVICE_NAME: 'gateway-ws-hostile',
    BUS: 'memory',
    GATEWAY_PORT: '0',
    LOG_LEVEL: 'silent',
    WS_RATE_LIMIT: '600',
  });
  gateway = await startGateway(config, {
    logger,
    api: false,
    getPrediction: async (symbol) => {
      if (symbol === 'NOPE') throw new AppError(grpc.status.NOT_FOUND, 'PREDICTION_SYMBOL_NOT_FOUND', 'no model for symbol "NOPE"');
      if (symbol === 'DOWN') throw new AppError(grpc.status.UNAVAILABLE, 'PREDICTION_UNAVAILABLE', 'connect ECONNREFUSED 10.9.8.7:50052');
      return { id: `p-${symbol}`, symbol };
    },
  });
  base = `ws://127.0.0.1:${gateway.port}`;
});

afterAll(async () => {
  await gateway?.close();
});

/** Sends `raw` and expects an `error` with `code`; the connection must still answer a ping. */
async function expectError(client: RecordingClient, raw: string, code: string): Promise<Record<string, any>> {
  client.ws.send(raw);
  const error = await client.next('error');
  expect(error.data?.code ?? error.code, raw.slice(0, 80)).toBe(code);
  client.send({ type: 'ping' });
  await client.next('pong');
  return error;
}

/** `{"a":{"a":…"x"…}}` nested `levels` deep, as JSON text (no stack needed to build it). */
const deep = (levels: number) => `${'{"a":'.repeat(levels)}"x"${'}'.repeat(levels)}`;

describe('/ws/stream (native protocol)', () => {
  it('answers hostile subscribe and unsubscribe messages with errors and stays open', async () => {
    const client = connectClient(`${base}/ws/stream`);
    await client.opened();
    await expectError(
      client,
      `{"type":"subscribe","data":{"type":"events","filters":{"payload.symbol":${deep(5000)}}}}`,
      'INVALID_MESSAGE',
    );
    await expectError(client, `{"type":"subscribe","data":{"type":"events","filters":${deep(5000)}}}`, 'INVALID_MESSAGE');
    await expectError(client, `{"type":"subscribe","data":{"type":"events","filters":{"payload.symbol":${deep(10)}}}}`, 'INVALID_FILTERS');
    await expectError(
      client,
      JSON.stringify({ type: 'unsubscribe', data: { subscription_id: { toString: 1, valueOf: 2 } } }),
      'SUBSCRIPTION_NOT_FOUND',
    );
    await expectError(client, JSON.stringify({ type: 'subscribe', data: { type: 'toString' } }), 'UNKNOWN_SUBSCRIPTION_TYPE');
    await expectError(client, JSON.stringify({ type: 'subscribe', data: { type: '__proto__' } }), 'UNKNOWN_SUBSCRIPTION_TYPE');
    const many = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`p${i}`, i]));
    const error = await expectError(
      client,
      JSON.stringify({ type: 'subscribe', data: { type: 'events', filters: many } }),
      'INVALID_FILTERS',
    );
    expect(error.data.detail).toContain('at most 32');
    await expectError(
      client,
      JSON.stringify({ type: 'subscribe', data: { type: 'events', filters: { p: Array.from({ length: 500 }, (_, i) => i) } } }),
      'INVALID_FILTERS',
    );
    await expectError(client, JSON.stringify({ type: 'x'.repeat(100_000) }), 'UNKNOWN_MESSAGE_TYPE');
    // Well-formed filters still subscribe.
    client.send({
      type: 'subscribe',
      data: { type: 'events', filters: { event_type: 'market_data_update', 'payload.symbol': ['AAPL', 'MSFT'] } },
    });
    expect((await client.next('subscribed')).subscription_id).toMatch(/^sub_/);
    client.close();
    expect((await client.closed).code).not.toBe(1011);
  });
});

describe('/ws/predictions/{symbol}', () => {
  it('answers hostile request_prediction and subscribe messages with errors and stays open', async () => {
    const client = connectClient(`${base}/ws/predictions/AAPL`);
    await client.next('connected');
    await expectError(
      client,
      JSON.stringify({ type: 'request_prediction', horizon_seconds: { valueOf: 1, toString: 2 } }),
      'INVALID_MESSAGE',
    );
    await expectError(client, JSON.stringify({ type: 'request_prediction', horizon_seconds: 2 ** 31 }), 'INVALID_MESSAGE');
    await expectError(client, JSON.stringify({ type: 'request_prediction', symbol: { toString: 'x' } }), 'INVALID_SYMBOL');
    await expectError(client, JSON.stringify({ type: 'subscribe', symbol: { toString: null } }), 'INVALID_SYMBOL');
    await expectError(client, JSON.stringify({ type: 'subscribe', symbol: 'Ä' }), 'INVALID_SYMBOL');
    client.close();
  });

  it("passes a service's refusal on with the shared vocabulary and hides a failure's text", async () => {
    const client = connectClient(`${base}/ws/predictions/AAPL`);
    await client.next('connected');
    const missing = await expectError(client, JSON.stringify({ type: 'request_prediction', symbol: 'NOPE' }), 'NOT_FOUND');
    expect(missing.message).toContain('no model for symbol');
    const down = await expectError(client, JSON.stringify({ type: 'request_prediction', symbol: 'DOWN' }), 'PREDICTION_UNAVAILABLE');
    expect(JSON.stringify(down)).not.toContain('10.9.8.7');
    client.close();
  });
});
