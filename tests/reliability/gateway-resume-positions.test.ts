import { createMarketpulseClient, createStreamClient, type StreamError } from '@marketpulse/client';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { uniqueTopicPrefix, waitFor } from '../harness';
import { SECRET, tokenFor } from '../e2e/api.kit';
import { connectClient, type RecordingClient, type WsMessage } from '../e2e/gateway_ws_client';
import { firstBreak, publishRange, range, ResumeRig, SYMBOL, tick, TYPE, type Gateway } from './gateway-resume.kit';

// Issue 15, positions: every event a client is sent carries its Kafka position (`pos`), a
// subscription's acknowledgement the whole token (`position`); a client sends back that token with
// each partition's entry replaced by the last `pos` it got there, and any instance reads back from
// Kafka by it alone. The second instance here keeps no id (WS_RESUME_INDEX_SIZE=0, no warm-up, no
// history): only the position can resume the client. Tokens are untrusted: a fast-check property
// sends malformed and altered ones.

const rig = new ResumeRig();
const clients: RecordingClient[] = [];
const FILTERS = { subject: SYMBOL, event_type: TYPE };
/** An instance that can resume by position only. */
const FORGETFUL = { WS_RESUME_INDEX_SIZE: '0', WS_HISTORY_WARM_COUNT: '0', WS_HISTORY_SIZE: '0' };

/** The client's position: the acknowledgement's token with each partition's entry replaced by the last `pos` seen there. */
function positionOf(acknowledged: string, seen: readonly string[]): string {
  const [header, ...entries] = acknowledged.split('.');
  const byPartition = new Map(entries.map((e) => [e.slice(0, 4), e]));
  for (const pos of seen) byPartition.set(pos.slice(0, 4), pos);
  return [header, ...byPartition.values()].join('.');
}

function open(port: number, query = ''): RecordingClient {
  const c = connectClient(`ws://127.0.0.1:${port}/ws/stream${query}`);
  clients.push(c);
  return c;
}

/** Prices of the data messages a client got, in order (a price of 0 is the contract default, which frames leave out: issue 19). */
function prices(c: RecordingClient): number[] {
  return c.all('data').map((m) => (m.data.event.payload.price ?? 0) as number);
}

beforeAll(async () => {
  await rig.init('gateway-resume-positions');
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await rig.stop();
});

describe('resume by position token (issue 15)', () => {
  it('a client resumes by its position alone on a second instance that holds no id: every event once, in order, then live', async () => {
    const prefix = uniqueTopicPrefix('resume-pos');
    const bus = rig.publisherFor(prefix);
    await publishRange(bus, -1, 0);
    const a = await rig.startGateway(prefix, 'pos-a');
    const first = open(a.port);
    await first.opened();
    first.send({ type: 'subscribe', data: { type: 'events', filters: FILTERS } });
    const ack = await first.next('subscribed');
    expect(typeof ack.position).toBe('string');
    // Other symbols' ticks move every partition on, so the position must hold each one.
    await publishRange(bus, 0, 50, ['OTA', 'OTB', 'OTC']);
    await waitFor(() => first.all('data').length >= 50 || undefined, { timeoutMs: 30_000, what: 'fifty ticks' });
    const seen = first.all('data');
    expect(seen.every((m) => typeof m.pos === 'string' && m.pos.length <= 12)).toBe(true);
    first.close();
    await first.closed;
    await publishRange(bus, 50, 250, ['OTA', 'OTB', 'OTC']);

    const b = await rig.startGateway(prefix, 'pos-b', FORGETFUL);
    const position = positionOf(
      ack.position as string,
      seen.map((m) => m.pos as string),
    );
    // The last id alone cannot work there: b never handled it.
    const byId = open(b.port);
    await byId.opened();
    byId.send({ type: 'subscribe', data: { type: 'events', filters: FILTERS, since: seen.at(-1)!.data.event.event_id } });
    expect((await byId.next('error', 15_000)).data.code).toBe('CANNOT_RECOVER');

    const second = open(b.port);
    await second.opened();
    second.send({ type: 'subscribe', data: { type: 'events', filters: FILTERS, position } });
    await second.next('subscribed');
    await publishRange(bus, 250, 260, ['OTA']);
    await waitFor(() => prices(second).length >= 210 || undefined, {
      timeoutMs: 60_000,
      what: `210 ticks on the second instance (have ${prices(second).length})`,
    });
    await new Promise((r) => setTimeout(r, 300)); // a duplicate would arrive now
    expect(firstBreak([...prices(first), ...prices(second)], range(0, 260))).toBe('none');
    expect(second.all('error')).toEqual([]);
  }, 180_000);

  it('a seed door resumes by ?position= on a second instance that holds no id', async () => {
    const prefix = uniqueTopicPrefix('resume-pos-door');
    const bus = rig.publisherFor(prefix);
    await publishRange(bus, -1, 0);
    const a = await rig.startGateway(prefix, 'pos-door-a');
    const doorPrices = (c: RecordingClient) => c.all('market_data_update').map((m) => m.data.price as number);
    const first = connectClient(`ws://127.0.0.1:${a.port}/ws/market-data/${SYMBOL}`);
    clients.push(first);
    const welcome = await first.next('connected');
    await publishRange(bus, 0, 40, ['OTA']);
    await waitFor(() => doorPrices(first).length >= 40 || undefined, { timeoutMs: 30_000, what: 'forty ticks on the door' });
    first.close();
    await first.closed;
    await publishRange(bus, 40, 140, ['OTA']);
    const b = await rig.startGateway(prefix, 'pos-door-b', FORGETFUL);
    const position = positionOf(
      welcome.position as string,
      first.all('market_data_update').map((m) => m.pos as string),
    );
    const second = connectClient(`ws://127.0.0.1:${b.port}/ws/market-data/${SYMBOL}?position=${encodeURIComponent(position)}`);
    clients.push(second);
    await second.next('connected');
    await publishRange(bus, 140, 150);
    await waitFor(() => doorPrices(second).length >= 110 || undefined, {
      timeoutMs: 60_000,
      what: `110 ticks on the second instance's door (have ${doorPrices(second).length})`,
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(firstBreak([...doorPrices(first), ...doorPrices(second)], range(0, 150))).toBe('none');
    expect(second.all('error')).toEqual([]);
  }, 180_000);

  it('the TypeScript client keeps its position across a kill -9 and resumes on another instance by it', async () => {
    const prefix = uniqueTopicPrefix('resume-pos-sdk');
    const bus = rig.publisherFor(prefix);
    await publishRange(bus, -1, 0);
    const a = await rig.startGateway(prefix, 'pos-sdk-a');
    let current: Gateway = a;
    // The client's url stays; this WebSocket goes to whichever instance is current.
    const Redirected = class extends WebSocket {
      constructor(_url: string) {
        super(`ws://127.0.0.1:${current.port}/ws/stream`);
      }
    };
    const received: number[] = [];
    const errors: StreamError[] = [];
    const client = createStreamClient({
      url: 'ws://gateway.invalid/ws/stream',
      WebSocket: Redirected as never,
      minReconnectDelayMs: 100,
      maxReconnectDelayMs: 1000,
    });
    client.on('error', (e) => errors.push(e));
    const subscription = client.subscribe('events', { filters: FILTERS }, (item) =>
      received.push((item.payload as { price: number }).price),
    );
    client.connect();
    try {
      await waitFor(() => client.state === 'connected' || undefined, { timeoutMs: 20_000, what: 'the client to connect' });
      await waitFor(() => subscription.state === 'active' || undefined, { timeoutMs: 20_000, what: 'the subscription to be acknowledged' });
      await publishRange(bus, 0, 40, ['OTA', 'OTB']);
      await waitFor(() => received.length >= 40 || undefined, { timeoutMs: 30_000, what: 'forty ticks' });
      a.process.child.kill('SIGKILL');
      await a.process.exited;
      await publishRange(bus, 40, 240, ['OTA', 'OTB']);
      current = await rig.startGateway(prefix, 'pos-sdk-b', FORGETFUL);
      await waitFor(() => received.length >= 240 || undefined, {
        timeoutMs: 60_000,
        what: `240 ticks after the move (have ${received.length})`,
      });
      await publishRange(bus, 240, 250);
      await waitFor(() => received.length >= 250 || undefined, { timeoutMs: 30_000, what: 'live ticks after the resume' });
      await new Promise((r) => setTimeout(r, 300));
      expect(firstBreak(received, range(0, 250))).toBe('none');
      expect(errors.filter((e) => !e.code.startsWith('CLIENT_'))).toEqual([]);
    } finally {
      client.close();
    }
  }, 180_000);

  it('a typed tRPC subscription resumes by the position its events were tracked with, after a kill -9, on another instance', async () => {
    const prefix = uniqueTopicPrefix('resume-pos-trpc');
    const bus = rig.publisherFor(prefix);
    await publishRange(bus, -1, 0);
    const auth = { JWT_SECRET: SECRET };
    const a = await rig.startGateway(prefix, 'pos-trpc-a', auth);
    let current: Gateway = a;
    const client = createMarketpulseClient({
      url: 'http://gateway.invalid',
      token: tokenFor('resume-test'),
      // Every request (the subscription's EventSource too) goes to whichever instance is current.
      fetch: (input, init) =>
        fetch(
          String(input instanceof Request ? input.url : input).replace('http://gateway.invalid', `http://127.0.0.1:${current.port}`),
          init,
        ),
    });
    const received: number[] = [];
    const ids: string[] = [];
    let started = 0;
    const sub = client.streams.events.subscribe(
      { channels: [`market-data:${SYMBOL}`], types: [TYPE] },
      {
        onStarted: () => void started++,
        onData: (e) => {
          ids.push(e.id);
          received.push((e.data.data as { price: number }).price);
        },
        onError: () => undefined,
      },
    );
    try {
      await waitFor(() => started >= 1 || undefined, { timeoutMs: 20_000, what: 'the subscription to start' });
      await publishRange(bus, 0, 30, ['OTA']);
      await waitFor(() => received.length >= 30 || undefined, { timeoutMs: 30_000, what: 'thirty ticks' });
      // Tracked by position: the last one is what the client sends back.
      expect(ids.at(-1)!.split('.').length).toBeGreaterThan(1);
      a.process.child.kill('SIGKILL');
      await a.process.exited;
      await publishRange(bus, 30, 200, ['OTA']);
      current = await rig.startGateway(prefix, 'pos-trpc-b', { ...FORGETFUL, ...auth });
      await waitFor(() => received.length >= 200 || undefined, { timeoutMs: 60_000, what: `200 ticks (have ${received.length})` });
      await publishRange(bus, 200, 210);
      await waitFor(() => received.length >= 210 || undefined, { timeoutMs: 30_000, what: 'live ticks after the resume' });
      await new Promise((r) => setTimeout(r, 300));
      expect(firstBreak(received, range(0, 210))).toBe('none');
    } finally {
      sub.unsubscribe();
    }
  }, 180_000);

  it('malformed, altered and foreign positions get INVALID_POSITION or CANNOT_RECOVER: no crash, and never an event the client may not read', async () => {
    const prefix = uniqueTopicPrefix('resume-pos-forged');
    const bus = rig.publisherFor(prefix);
    await publishRange(bus, -1, 0);
    const gw = await rig.startGateway(prefix, 'pos-forged', FORGETFUL);
    const probe = open(gw.port);
    await probe.opened();
    probe.send({ type: 'subscribe', data: { type: 'events', filters: FILTERS } });
    const acknowledged = (await probe.next('subscribed')).position as string;
    // Ticks anyone may read (prices 0..19) and bob's own (prices -100 and below): an anonymous client must never get bob's.
    await bus.publish([...range(0, 20).map((n) => tick(n)), ...range(100, 120).map((n) => tick(-n, SYMBOL, 'bob'))]);
    await waitFor(() => prices(probe).length >= 20 || undefined, { timeoutMs: 30_000, what: 'the ticks to be consumed' });
    const [header, ...entries] = acknowledged.split('.');

    // A token from the start of every partition: it reads back everything, filtered as live delivery is.
    const fromStart = open(gw.port);
    await fromStart.opened();
    const zeroed = [header, ...entries.map((e) => `${e.slice(0, 4)}AA`)].join('.');
    fromStart.send({ type: 'subscribe', data: { type: 'events', filters: FILTERS, position: zeroed } });
    await waitFor(() => prices(fromStart).length >= 21 || undefined, { timeoutMs: 30_000, what: 'the read-back from the start' });
    expect(prices(fromStart)).toEqual(range(-1, 20));

    // A well-formed token a billion records ahead of the stream: waited for briefly, then refused.
    const first = Buffer.from(entries[0]!, 'base64url');
    const farAhead = Buffer.concat([first.subarray(0, 3), Buffer.from([0x80, 0x94, 0xeb, 0xdc, 0x03])]).toString('base64url');
    const ahead = open(gw.port);
    await ahead.opened();
    ahead.send({
      type: 'subscribe',
      data: { type: 'events', filters: FILTERS, position: [header, farAhead, ...entries.slice(1)].join('.') },
    });
    const refusal = await ahead.next('error', 15_000);
    expect(refusal.data).toMatchObject({ code: 'INVALID_POSITION', subscription_id: (await ahead.next('subscribed')).subscription_id });
    expect(typeof refusal.data.position).toBe('string');
    ahead.close();

    const base64url = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.');
    const garbage = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.array(base64url, { maxLength: 60 }).map((cs) => cs.join('')),
      fc.constantFrom('', '.', '..', `${header}.`, `.${entries.join('.')}`, 'x'.repeat(5000), '7c9e6679-7425-40de-944b-e07fc1f90ae7'),
      fc.integer().map(String),
    );
    // A real token, one character changed, cut short or extended: some still decode (then they resume or wait, and are refused if ahead).
    const altered = fc
      .tuple(fc.nat(acknowledged.length - 1), base64url, fc.constantFrom('replace', 'cut', 'extend'))
      .map(([at, ch, how]) =>
        how === 'replace'
          ? acknowledged.slice(0, at) + ch + acknowledged.slice(at + 1)
          : how === 'cut'
            ? acknowledged.slice(0, at)
            : `${acknowledged}.${ch.repeat(at % 12)}`,
      );
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            garbage.map((t) => ({ t, malformed: true })),
            altered.map((t) => ({ t, malformed: false })),
          ),
          { minLength: 1, maxLength: 8 },
        ),
        async (tokens) => {
          const c = open(gw.port);
          await c.opened();
          tokens.forEach(({ t }, i) =>
            c.send({ type: 'subscribe', data: { type: 'events', filters: { ...FILTERS, 'payload.volume': [1, i + 2] }, position: t } }),
          );
          // Every subscription is acknowledged; a malformed token's error comes with it.
          await waitFor(() => c.all('subscribed').length >= tokens.length || undefined, {
            timeoutMs: 20_000,
            what: 'every acknowledgement',
          });
          const ids = c.all('subscribed').map((m) => m.subscription_id as string);
          const expectedErrors = tokens.filter((t) => t.malformed).length;
          await waitFor(() => c.all('error').length >= expectedErrors || undefined, { timeoutMs: 20_000, what: 'the errors' });
          // An altered token that decodes but is ahead of the stream is refused after a bounded wait.
          await new Promise((r) => setTimeout(r, 2500));
          c.send({ type: 'ping' });
          await c.next('pong', 10_000);
          const errors = c.all('error');
          const forSubscription = new Map(errors.map((m: WsMessage) => [m.data.subscription_id as string, m.data.code as string]));
          tokens.forEach(({ malformed }, i) => {
            if (malformed) expect(forSubscription.get(ids[i]!)).toBe('INVALID_POSITION');
          });
          for (const e of errors) expect(['INVALID_POSITION', 'CANNOT_RECOVER']).toContain(e.data.code);
          expect(prices(c).filter((p) => p <= -100)).toEqual([]);
          c.close();
        },
      ),
      { seed: 15, numRuns: 12 },
    );
    // The instance still serves.
    probe.send({ type: 'ping' });
    await probe.next('pong', 10_000);
    const health = (await (await fetch(`http://127.0.0.1:${gw.port}/health`)).json()) as { components: Record<string, { status: string }> };
    expect(health.components.event_consumer!.status).toBe('healthy');
  }, 240_000);

  it('resumes exactly on a second instance that handled the partitions in another order than the one the client left', async () => {
    const prefix = uniqueTopicPrefix('resume-order');
    const bus = rig.publisherFor(prefix);
    await publishRange(bus, -1, 0);
    const a = await rig.startGateway(prefix, 'order-a');
    const probe = open(a.port);
    await probe.opened();
    probe.send({ type: 'subscribe', data: { type: 'events' } });
    const ack = await probe.next('subscribed');
    // One tick per symbol, a few ms apart: their Kafka timestamps rise in this order, across the partitions.
    const symbols = ['ORA', 'ORB', 'ORC', 'ORD', 'ORE', 'ORF', 'ORG', 'ORH'];
    for (const symbol of symbols) {
      await bus.publish([tick(1, symbol)]);
      await new Promise((r) => setTimeout(r, 5));
    }
    await waitFor(() => probe.all('data').length >= symbols.length || undefined, { timeoutMs: 30_000, what: 'a tick of every symbol' });
    probe.close();
    await probe.closed;
    const ticks = probe.all('data').map((m) => ({ id: m.data.event.event_id as string, pos: m.pos as string }));
    const partitionOf = (t: { pos: string }) => t.pos.slice(0, 4);
    // The client as an instance left it that had sent the other partitions' ticks up to the last of them
    // (X) and none of the first tick's partition yet: it consumes the partitions at their own pace.
    const behind = partitionOf(ticks[0]!);
    const x = ticks.findLastIndex((t) => partitionOf(t) !== behind);
    expect(x).toBeGreaterThan(0);
    const sent = ticks.slice(0, x + 1).filter((t) => partitionOf(t) !== behind);
    const position = positionOf(
      ack.position as string,
      sent.map((t) => t.pos),
    );

    // b warms its history in Kafka time order: there the first tick comes before X.
    const b = await rig.startGateway(prefix, 'order-b');
    const client = open(b.port);
    await client.opened();
    client.send({ type: 'subscribe', data: { type: 'events', since: ticks[x]!.id, position } });
    await client.next('subscribed');
    // Whatever is replayed (from memory, or read back with the live events held) comes before this live tick.
    const last = tick(2, 'ORZ');
    await bus.publish([last]);
    const ids = () => client.all('data').map((m) => m.data.event.event_id as string);
    await waitFor(() => ids().includes(last.id) || undefined, { timeoutMs: 30_000, what: 'the live tick after the replay' });
    // By its last id alone it got only what b handled after X: the first tick's partition's ticks before X were lost.
    expect(ids()).toEqual([...ticks.filter((t) => partitionOf(t) === behind).map((t) => t.id), last.id]);
    expect(client.all('error')).toEqual([]);
  }, 120_000);
});
