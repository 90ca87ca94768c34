import { loadGatewayConfig, mintToken, startGateway, type GatewayHandle } from '@marketpulse/gateway';
import { createBus, createLogger, type Bus } from '@marketpulse/runtime';
import { createTestDatabase, kafkaBrokers, uniqueTopicPrefix, type TestDatabase } from '@marketpulse/tests';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMarketpulseClient } from '@marketpulse/client';
import { createApiKey, publishTick } from './gateway_auth.kit';
import { connectClient, type RecordingClient } from './gateway_ws_client';

// Revoking an API key ends the WebSocket connections it opened. Two gateway instances share one
// PostgreSQL database (the same SERVICE_NAME, so the same api_keys table) and one Kafka: A never
// re-checks, so what closes its clients is the revocation itself; B re-checks every second, so a
// key revoked through A closes B's clients too.

const logger = createLogger('gateway-auth-revocation-e2e', {}, { level: 'warn' });
const SECRET = 'gateway-revocation-e2e-secret-0123456789';
const prefix = uniqueTopicPrefix('gateway-revocation');
const REVOKED = { code: 1008, reason: 'API key revoked' };

let a: GatewayHandle;
let b: GatewayHandle;
let publisher: Bus;
let db: TestDatabase;
let owner: string;
const clients: RecordingClient[] = [];

const httpOf = (g: GatewayHandle) => `http://127.0.0.1:${g.port}`;

function connect(g: GatewayHandle, path: string): RecordingClient {
  const c = connectClient(`ws://127.0.0.1:${g.port}${path}`);
  clients.push(c);
  return c;
}

const sendTick = (symbol: string) => publishTick(publisher, symbol);
const apiKey = (name: string) => createApiKey(httpOf(a), owner, name, ['read']);

async function revokeThroughRest(g: GatewayHandle, id: string): Promise<void> {
  const res = await fetch(`${httpOf(g)}/api/v1/api-keys/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${owner}` } });
  expect(res.status).toBe(204);
}

/** Resolves with how the client closed, or 'open' if it still is after `ms`. */
function closedWithin(c: RecordingClient, ms: number): Promise<{ code: number; reason: string } | 'open'> {
  return Promise.race([c.closed, new Promise<'open'>((r) => setTimeout(() => r('open'), ms))]);
}

beforeAll(async () => {
  db = await createTestDatabase('gateway-revocation');
  const env = { BUS: 'kafka', KAFKA_BROKERS: kafkaBrokers(), KAFKA_TOPIC_PREFIX: prefix, LOG_LEVEL: 'warn' };
  const instance = (id: string, recheckSeconds: string) =>
    loadGatewayConfig({
      ...env,
      SERVICE_NAME: 'gateway-revocation-e2e',
      GATEWAY_INSTANCE_ID: id,
      GATEWAY_PORT: '0',
      PUBLISH_GRPC_PORT: '0',
      DATABASE_URL: db.url,
      JWT_SECRET: SECRET,
      WS_AUTH_REQUIRED: 'true',
      WS_API_KEY_RECHECK_SECONDS: recheckSeconds,
    });
  const deps = { logger, getPrediction: () => Promise.reject(new Error('not in this test')) };
  a = await startGateway(instance('a', '0'), deps);
  b = await startGateway(instance('b', '1'), deps);
  await Promise.all([a.consuming, b.consuming]);
  publisher = createBus(loadGatewayConfig({ ...env, SERVICE_NAME: 'gateway-revocation-publisher' }), logger);
  owner = await mintToken({ secret: SECRET, subject: 'erin', scopes: ['read', 'keys:write'], ttlSeconds: 600 });
}, 90_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await a?.close();
  await b?.close();
  await publisher?.close();
  await db?.drop();
});

describe('revoking an API key on the instance holding its connections', () => {
  it('closes them at once with 1008 "API key revoked" while a client with another key keeps receiving', async () => {
    const revoked = await apiKey('to-revoke');
    const kept = await apiKey('kept');
    const doomed = connect(a, `/ws/market-data/AAPL?token=${revoked.key}`);
    const alsoDoomed = connect(a, `/ws/alerts?token=${revoked.key}`);
    const survivor = connect(a, `/ws/market-data/AAPL?token=${kept.key}`);
    await Promise.all([doomed.next('connected'), alsoDoomed.next('connected'), survivor.next('connected')]);

    const before = await sendTick('AAPL');
    expect((await doomed.next('market_data_update', 20_000)).id).toBe(before);
    expect((await survivor.next('market_data_update', 20_000)).id).toBe(before);

    // A never re-checks keys: a close at all is the revocation's own doing.
    await revokeThroughRest(a, revoked.id);
    expect(await closedWithin(doomed, 20_000)).toEqual(REVOKED);
    expect(await closedWithin(alsoDoomed, 20_000)).toEqual(REVOKED);
    expect(doomed.all('error').at(-1)).toMatchObject({ code: 'AUTH_FAILED', message: expect.stringContaining('API key revoked') });

    const after = await sendTick('AAPL');
    expect((await survivor.next('market_data_update', 20_000)).id).toBe(after);
    expect(await closedWithin(survivor, 200)).toBe('open');
    expect(doomed.all('market_data_update').map((m) => m.id)).toEqual([before]);
  });

  it('closes a native /ws/stream client that authenticated with an auth message when the key is revoked through tRPC', async () => {
    const { id, key } = await apiKey('native');
    const native = connect(a, '/ws/stream');
    await native.opened();
    native.send({ type: 'auth', data: { token: key } });
    await native.next('auth_success');

    await createMarketpulseClient({ url: httpOf(a), token: owner }).apiKeys.revoke.mutate({ id });
    expect(await closedWithin(native, 20_000)).toEqual(REVOKED);
  });
});

/** A tRPC `streams.events` subscription (SSE) on `g`: the events it got, and the error that ended it. */
function trpcStream(g: GatewayHandle, credential: string, channels: string[]) {
  const got: string[] = [];
  const state: { started: boolean; error?: { data?: { code?: string } | null; message: string } } = { started: false };
  const sub = createMarketpulseClient({ url: httpOf(g), token: credential }).streams.events.subscribe(
    { channels },
    {
      onStarted: () => void (state.started = true),
      // e.id is the position token on Kafka; the event's own id is in e.data.
      onData: (e) => void got.push(e.data.id),
      onError: (err) => void (state.error = err as never),
    },
  );
  return { got, state, stop: () => sub.unsubscribe() };
}

async function until<T>(what: string, fn: () => T | undefined | false, ms = 20_000): Promise<T> {
  for (const end = Date.now() + ms; ; await new Promise((r) => setTimeout(r, 25))) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
  }
}

describe('tRPC streams end with their credential, as WebSocket connections do', () => {
  // Before: checked only when the stream started; an audit read 2,692 events 45 s after the revoke.
  it('ends a stream opened with an API key when the key is revoked (KEY_REVOKED), on this instance and on another', async () => {
    const revoked = await apiKey('trpc-revoked');
    const kept = await apiKey('trpc-kept');
    const here = trpcStream(a, revoked.key, ['market-data:AAPL']);
    const elsewhere = trpcStream(b, revoked.key, ['market-data:AAPL']);
    const survivor = trpcStream(a, kept.key, ['market-data:AAPL']);
    try {
      await until('the streams to start', () => here.state.started && elsewhere.state.started && survivor.state.started);
      const before = await sendTick('AAPL');
      await until('the tick on every stream', () => [here, elsewhere, survivor].every((s) => s.got.includes(before)));

      await revokeThroughRest(a, revoked.id);
      expect((await until('the stream on A to end', () => here.state.error)).data).toMatchObject({ code: 'KEY_REVOKED', httpStatus: 401 });
      // B learns of it from its re-check (every second here).
      expect((await until('the stream on B to end', () => elsewhere.state.error)).data).toMatchObject({ code: 'KEY_REVOKED' });

      const after = await sendTick('AAPL');
      await until('the tick after the revoke on the other key', () => survivor.got.includes(after));
      expect(here.got).not.toContain(after);
      expect(elsewhere.got).not.toContain(after);
      expect(survivor.state.error).toBeUndefined();
    } finally {
      for (const s of [here, elsewhere, survivor]) s.stop();
    }
  });

  it("ends a stream when its JWT's exp passes (TOKEN_EXPIRED)", async () => {
    const shortLived = await mintToken({ secret: SECRET, subject: 'erin', scopes: ['read'], ttlSeconds: 3 });
    const stream = trpcStream(a, shortLived, ['market-data:MSFT']);
    try {
      await until('the stream to start', () => stream.state.started);
      expect((await until('the stream to end', () => stream.state.error)).data).toMatchObject({ code: 'TOKEN_EXPIRED', httpStatus: 401 });
      const after = await sendTick('MSFT');
      await new Promise((r) => setTimeout(r, 500));
      expect(stream.got).not.toContain(after);
    } finally {
      stream.stop();
    }
  });
});

describe('revoking an API key on another instance', () => {
  it('closes the connections held on instance B within its re-check interval, and only those', async () => {
    const revoked = await apiKey('revoked-elsewhere');
    const kept = await apiKey('kept-elsewhere');
    const onB = connect(b, `/ws/market-data/MSFT?token=${revoked.key}`);
    const survivorOnB = connect(b, `/ws/market-data/MSFT?token=${kept.key}`);
    await Promise.all([onB.next('connected'), survivorOnB.next('connected')]);

    await revokeThroughRest(a, revoked.id);
    // B learns of it only from its re-check (every second here); without one it would stay open.
    expect(await closedWithin(onB, 20_000)).toEqual(REVOKED);

    const after = await sendTick('MSFT');
    expect((await survivorOnB.next('market_data_update', 20_000)).id).toBe(after);
    expect(await closedWithin(survivorOnB, 200)).toBe('open');
  });

  it('refuses the revoked key on B from then on', async () => {
    const { id, key } = await apiKey('refused-elsewhere');
    await revokeThroughRest(a, id);
    const refused = connect(b, `/ws/market-data/MSFT?token=${key}`);
    expect((await refused.closed).code).toBe(1008);
    expect((await refused.next('error')).message).toContain('API key unknown, revoked or expired');
  });
});
