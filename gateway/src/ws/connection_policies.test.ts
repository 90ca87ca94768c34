import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { GatewayHandle } from '../service';
import { mintToken } from '../auth';
import { inProcessGateways } from '../testing/in_process_gateway.testkit';

// Limits, auth, heartbeat, resume and slow clients, over real sockets against an in-process
// gateway (in-memory bus; the hub is fed directly so each test controls exactly what is published).

const SECRET = 'policies-test-secret-0123456789';
const { gateway, sockets: clients } = inProcessGateways({ name: 'policies', env: { JWT_SECRET: SECRET } });

let seq = 0;
function publishTick(gw: GatewayHandle, symbol = 'AAPL', pad = 0): string {
  const id = `evt-${++seq}`;
  gw.hub.publish([`market-data:${symbol}`, 'events'], {
    id,
    type: 'market_data_update',
    source: 'test',
    subject: symbol,
    owner: '',
    time: new Date().toISOString(),
    traceId: '0af7651916cd43dd8448eb211c80319c',
    data: { symbol, price: seq, pad: 'x'.repeat(pad) },
  });
  return id;
}

type Msg = { type: string; [k: string]: any };

function connect(url: string, options?: WebSocket.ClientOptions) {
  const ws = new WebSocket(url, options);
  clients.push(ws);
  const messages: Msg[] = [];
  ws.on('message', (d) => messages.push(JSON.parse(String(d)) as Msg));
  ws.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  const until = async (pred: () => boolean, what: string, timeoutMs = 5000) => {
    const end = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > end)
        throw new Error(
          `timed out waiting for ${what}; got ${messages.length} messages, the last: ${JSON.stringify(messages.at(-1)).slice(0, 200)}`,
        );
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return {
    ws,
    messages,
    closed,
    of: (type: string) => messages.filter((m) => m.type === type),
    until,
    opened: () =>
      new Promise<void>((resolve, reject) =>
        ws.readyState === WebSocket.OPEN
          ? resolve()
          : (ws.once('open', () => resolve()), ws.once('close', () => reject(new Error('closed')))),
      ),
    send: (m: object) => ws.send(JSON.stringify(m)),
  };
}

const url = (gw: GatewayHandle, path: string) => `ws://127.0.0.1:${gw.port}${path}`;

describe('connection limits', () => {
  it('accepts up to WS_MAX_CONNECTIONS and closes the next one with 1013', async () => {
    const gw = await gateway({ WS_MAX_CONNECTIONS: '2' });
    const a = connect(url(gw, '/ws/alerts'));
    const b = connect(url(gw, '/ws/alerts'));
    await a.until(() => a.of('connected').length === 1, 'a connected');
    await b.until(() => b.of('connected').length === 1, 'b connected');
    const c = connect(url(gw, '/ws/alerts'));
    expect(await c.closed).toBe(1013);
    expect(c.messages).toEqual([]);
  });

  it('closes a client whose message exceeds WS_MAX_MESSAGE_BYTES with 1009', async () => {
    const gw = await gateway({ WS_MAX_MESSAGE_BYTES: '1024' });
    const c = connect(url(gw, '/ws/alerts'));
    await c.opened();
    c.send({ type: 'pong', pad: 'x'.repeat(2000) });
    expect(await c.closed).toBe(1009);
  });

  it('answers the first message over WS_RATE_LIMIT with a RATE_LIMITED error and closes on the next with 4003', async () => {
    const gw = await gateway({ WS_RATE_LIMIT: '5' });
    const c = connect(url(gw, '/ws/alerts'));
    await c.opened();
    for (let i = 0; i < 6; i++) c.send({ type: 'pong' });
    await c.until(() => c.of('error').length === 1, 'the rate limit error');
    expect(c.of('error')[0]).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringContaining('Rate limit exceeded') });
    c.send({ type: 'pong' });
    expect(await c.closed).toBe(4003);
  });

  it('closes connections from origins not in WS_ALLOWED_ORIGINS with 1008 and admits listed ones', async () => {
    const gw = await gateway({ WS_ALLOWED_ORIGINS: 'https://app.example.com' });
    const evil = connect(url(gw, '/ws/alerts'), { origin: 'https://evil.example.net' });
    expect(await evil.closed).toBe(1008);
    const good = connect(url(gw, '/ws/alerts'), { origin: 'https://app.example.com' });
    await good.until(() => good.of('connected').length === 1, 'connected');
  });

  it('opens an unknown path, says why and closes it with 4004 (a browser cannot read a refused handshake)', async () => {
    const gw = await gateway();
    const c = connect(url(gw, '/ws/nope'));
    expect(await c.closed).toBe(4004);
    expect(c.of('error')[0]).toMatchObject({ code: 'UNKNOWN_ENDPOINT', message: expect.stringContaining('/ws/stream') });
  });
});

describe('authentication', () => {
  it('with auth required, closes a silent client with 1008 after WS_AUTH_TIMEOUT_MS and admits one that sends auth in time', async () => {
    const gw = await gateway({ WS_AUTH_REQUIRED: 'true', WS_AUTH_TIMEOUT_MS: '300' });
    const silent = connect(url(gw, '/ws/market-data/AAPL'));
    await silent.opened();
    silent.send({ type: 'request_anything' });
    expect(await silent.closed).toBe(1008);
    expect(silent.of('error')[0]).toMatchObject({ code: 'AUTH_REQUIRED' });
    expect(silent.of('connected')).toEqual([]);

    const polite = connect(url(gw, '/ws/market-data/AAPL'));
    await polite.opened();
    polite.send({ type: 'auth', token: await mintToken({ secret: SECRET, subject: 'u', ttlSeconds: 60 }) });
    await polite.until(() => polite.of('connected').length === 1, 'connected after auth');
    publishTick(gw);
    await polite.until(() => polite.of('market_data_update').length === 1, 'a tick after auth');
  });

  it('closes with 1008 on a bad ?token= and on a channel the claims do not allow', async () => {
    const gw = await gateway({ WS_API_KEYS: 'mpk_alerts=alerts' });
    const bad = connect(url(gw, '/ws/alerts?token=garbage'));
    expect(await bad.closed).toBe(1008);
    expect(bad.of('error')[0]).toMatchObject({ code: 'AUTH_FAILED' });

    const narrow = await mintToken({ secret: SECRET, subject: 'u', channels: ['alerts'], ttlSeconds: 60 });
    const forbidden = connect(url(gw, `/ws/market-data/AAPL?token=${narrow}`));
    expect(await forbidden.closed).toBe(1008);
    expect(forbidden.of('error')[0]).toMatchObject({ code: 'CHANNEL_FORBIDDEN' });

    const key = connect(url(gw, '/ws/alerts?token=mpk_alerts'));
    await key.until(() => key.of('connected').length === 1, 'connected with an API key');
  });
});

describe('heartbeat', () => {
  it('closes with 4001 a client that answers neither ping messages nor ping frames, and keeps one that answers', async () => {
    // A pong timeout far above how long an in-process client takes to answer, even on a busy machine.
    const gw = await gateway({ WS_PING_INTERVAL_MS: '1500', WS_PONG_TIMEOUT_MS: '1400' });
    const deaf = connect(url(gw, '/ws/alerts'), { autoPong: false });
    const alive = connect(url(gw, '/ws/alerts'), { autoPong: false });
    // Answers ping frames only (ws's automatic pong), never a message: the pong frames keep it.
    const framesOnly = connect(url(gw, '/ws/alerts'));
    alive.ws.on('message', (d) => {
      if (JSON.parse(String(d)).type === 'ping') alive.send({ type: 'pong' });
    });
    expect(await deaf.closed).toBe(4001);
    expect(deaf.of('ping').length).toBeGreaterThanOrEqual(1);
    await alive.until(() => alive.of('ping').length >= 3, 'three pings answered', 20_000);
    expect(alive.ws.readyState).toBe(WebSocket.OPEN);
    expect(framesOnly.ws.readyState).toBe(WebSocket.OPEN);
  });
});

describe('history and resume', () => {
  it('replays what a client missed after ?since=, in order, then continues live; every message carries id and trace id', async () => {
    const gw = await gateway();
    const first = connect(url(gw, '/ws/market-data/AAPL'));
    await first.until(() => first.of('connected').length === 1, 'connected');
    const ids = [publishTick(gw), publishTick(gw), publishTick(gw), publishTick(gw, 'MSFT')];
    await first.until(() => first.of('market_data_update').length === 3, 'three ticks');
    const lastSeen = first.of('market_data_update')[0]!.id as string;
    expect(first.of('market_data_update')[0]).toMatchObject({ id: ids[0], trace_id: '0af7651916cd43dd8448eb211c80319c' });
    first.ws.close();

    const resumed = connect(url(gw, `/ws/market-data/AAPL?since=${lastSeen}`));
    await resumed.until(() => resumed.of('market_data_update').length === 2, 'the two missed ticks');
    const live = publishTick(gw);
    await resumed.until(() => resumed.of('market_data_update').length === 3, 'the live tick');
    expect(resumed.of('market_data_update').map((m) => m.id)).toEqual([ids[1], ids[2], live]);
    expect(resumed.of('error')).toEqual([]);
  });

  it('says CANNOT_RECOVER when the id fell out of WS_HISTORY_SIZE, then continues live', async () => {
    const gw = await gateway({ WS_HISTORY_SIZE: '2' });
    const old = publishTick(gw);
    publishTick(gw);
    publishTick(gw);
    const c = connect(url(gw, `/ws/market-data/AAPL?since=${old}`));
    await c.until(() => c.of('error').length === 1, 'the cannot-recover error');
    expect(c.of('error')[0]).toMatchObject({ code: 'CANNOT_RECOVER' });
    const live = publishTick(gw);
    await c.until(() => c.of('market_data_update').length === 1, 'the live tick');
    expect(c.of('market_data_update')[0]!.id).toBe(live);
  });

  it('resumes a native subscription from `since`', async () => {
    const gw = await gateway();
    const ids = [publishTick(gw), publishTick(gw), publishTick(gw, 'MSFT')];
    const c = connect(url(gw, '/ws/stream'));
    await c.opened();
    c.send({ type: 'subscribe', data: { type: 'events', filters: { 'payload.symbol': 'AAPL' }, since: ids[0] } });
    await c.until(() => c.of('data').length === 1, 'the missed AAPL tick');
    expect(c.of('data')[0]).toMatchObject({ data: { event: { event_id: ids[1], subject: 'AAPL' } } });
  });
});

describe('resume from memory past one chunk (history/memory_replay.ts)', () => {
  // A history bigger than the send queue used to go out in one tick: the client, reading as fast as
  // it could, was closed as a slow one (4002) and every other client waited while it was encoded.
  const big = { WS_HISTORY_SIZE: '5000', WS_SEND_QUEUE_BYTES: String(64 * 1024) };

  /** Publishes `n` AAPL ticks of ~300 bytes; returns their ids. */
  const missed = (gw: GatewayHandle, n: number) => Array.from({ length: n }, () => publishTick(gw, 'AAPL', 200));

  it('replays a history bigger than the send queue to a reading client, then continues live', async () => {
    const gw = await gateway(big);
    const before = publishTick(gw);
    const ids = missed(gw, 3000);
    const c = connect(url(gw, `/ws/market-data/AAPL?since=${before}`));
    await c.until(() => c.of('market_data_update').length === 3000, 'the 3,000 missed ticks', 20_000);
    const live = publishTick(gw);
    await c.until(() => c.of('market_data_update').length === 3001, 'the live tick');
    expect(c.of('market_data_update').map((m) => m.id)).toEqual([...ids, live]);
    expect(c.of('error')).toEqual([]);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('holds the live ticks published during the replay and sends them after it, each once', async () => {
    const gw = await gateway({ ...big, WS_RESUME_READ_RATE: '2000' });
    const before = publishTick(gw);
    const ids = missed(gw, 1000);
    const c = connect(url(gw, `/ws/market-data/AAPL?since=${before}`));
    await c.until(() => c.of('market_data_update').length > 0, 'the first replayed tick');
    const live = [publishTick(gw), publishTick(gw), publishTick(gw)];
    await c.until(() => c.of('market_data_update').length === 1003, 'the missed and the live ticks', 20_000);
    expect(c.of('market_data_update').map((m) => m.id)).toEqual([...ids, ...live]);
  });

  it('keeps live delivery to other clients going while it replays', async () => {
    const gw = await gateway({ ...big, WS_RESUME_READ_RATE: '1000' });
    const other = connect(url(gw, '/ws/market-data/MSFT'));
    await other.until(() => other.of('connected').length === 1, 'the other client connected');
    const before = publishTick(gw);
    missed(gw, 2000);
    const resuming = connect(url(gw, `/ws/market-data/AAPL?since=${before}`));
    await resuming.until(() => resuming.of('market_data_update').length > 0, 'the first replayed tick');
    publishTick(gw, 'MSFT');
    await other.until(() => other.of('market_data_update').length === 1, "the other client's live tick");
    // At WS_RESUME_READ_RATE the replay of 2,000 takes two seconds: the live tick did not wait for its end.
    expect(resuming.of('market_data_update').length).toBeLessThan(2000);
    await resuming.until(() => resuming.of('market_data_update').length === 2000, 'the rest of the replay', 20_000);
  });

  it('stops replaying a subscription the client left, and says nothing more of it after `unsubscribed`', async () => {
    const gw = await gateway({ ...big, WS_RESUME_READ_RATE: '1000' });
    const before = publishTick(gw);
    missed(gw, 2000);
    const c = connect(url(gw, '/ws/stream'));
    await c.opened();
    c.send({ type: 'subscribe', data: { type: 'events', filters: { 'payload.symbol': 'AAPL' }, since: before } });
    await c.until(() => c.of('data').length > 0, 'the first replayed event');
    const id = c.of('subscribed')[0]!.data.subscription_id as string;
    c.send({ type: 'unsubscribe', data: { subscription_id: id } });
    await c.until(() => c.of('unsubscribed').length === 1, 'unsubscribed');
    const at = c.messages.findIndex((m) => m.type === 'unsubscribed');
    publishTick(gw);
    c.send({ type: 'ping' });
    await c.until(() => c.of('pong').length === 1, 'pong');
    expect(c.messages.slice(at + 1).filter((m) => m.type === 'data')).toEqual([]);
    expect(c.of('data').length).toBeLessThan(2000);
  });
});

describe('slow clients', () => {
  it('disconnects a client that stops reading with 4002, while a reading client gets every message', async () => {
    const gw = await gateway({ WS_SEND_QUEUE_BYTES: String(256 * 1024) });
    const fast = connect(url(gw, '/ws/market-data/AAPL'));
    const slow = connect(url(gw, '/ws/market-data/AAPL'));
    await fast.until(() => fast.of('connected').length === 1, 'fast connected');
    await slow.until(() => slow.of('connected').length === 1, 'slow connected');
    (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();

    // Bursts smaller than the queue, with pauses a reading client can drain in.
    const count = 2000;
    for (let i = 0; i < count; i++) {
      publishTick(gw, 'AAPL', 8 * 1024);
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 2));
    }
    await fast.until(() => fast.of('market_data_update').length === count, `${count} ticks at the fast client`, 15_000);

    const stats = (await (await fetch(`http://127.0.0.1:${gw.port}/ws/stats`)).json()) as {
      limits: { slow_disconnects: number };
      channels: Record<string, number>;
    };
    expect(stats.limits.slow_disconnects).toBe(1);
    expect(stats.channels['market-data:AAPL']).toBe(1);

    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    expect(await slow.closed).toBe(4002);
    expect(slow.of('market_data_update').length).toBeLessThan(count);
  });
});
