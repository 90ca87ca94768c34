import { topicFor } from '@marketpulse/runtime';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, kafkaBrokers, uniqueTopicPrefix, waitFor } from '../harness';
import { SECRET, tokenFor } from '../e2e/api.kit';
import { connectClient, type RecordingClient, type WsMessage } from '../e2e/gateway_ws_client';
import { firstBreak, publishRange, range, ResumeRig, SYMBOL, TYPE } from './gateway-resume.kit';

// Issue 15: the recovery window is Kafka's retention, on any instance, after any restart. Gateway
// processes (gateway/dist/main.js, build first) on the real broker; a numbered sequence of ticks
// (price = its number) on one symbol; clients resume with the last id they saw and must end with
// every number exactly once, in order. The 30,000-event absence publishes as fast as the bus
// takes it rather than at 100 events/s for 5 minutes: the property (far beyond the in-memory
// history, resumed exactly) is the same. Resuming by position token: gateway-resume-positions.test.ts.

const rig = new ResumeRig();
const clients: RecordingClient[] = [];
const startGateway = rig.startGateway.bind(rig);
const publisherFor = rig.publisherFor.bind(rig);

/** One client across its connections: every tick number it was sent, whichever door. */
class SequenceClient {
  readonly numbers: number[] = [];
  lastId: string | undefined;
  errors: WsMessage[] = [];
  private current: RecordingClient | undefined;

  constructor(private readonly door: 'market-data' | 'stream') {}

  /** Connects (again), with ?since=/since the last id seen; retries while the instance is starting (1013) or down. */
  async connect(port: number): Promise<void> {
    await waitFor(
      async () => {
        const c = this.open(port);
        const outcome = await Promise.race([
          c.opened().then(
            () => 'open' as const,
            () => 'closed' as const,
          ),
          new Promise<'slow'>((r) => setTimeout(() => r('slow'), 5000)),
        ]);
        if (outcome !== 'open') {
          c.close();
          return undefined;
        }
        // A not-ready instance accepts the upgrade, then closes with 1013 before any welcome.
        if (this.door === 'stream')
          c.send({
            type: 'subscribe',
            data: { type: 'events', filters: { subject: SYMBOL, event_type: TYPE }, ...(this.lastId ? { since: this.lastId } : {}) },
          });
        const welcomed = await Promise.race([
          c.next(this.door === 'stream' ? 'subscribed' : 'connected', 15_000).then(
            () => true,
            () => false,
          ),
          c.closed.then(() => false),
        ]);
        if (!welcomed) {
          c.close();
          return undefined;
        }
        this.current = c;
        return true;
      },
      { timeoutMs: 90_000, intervalMs: 200, what: `a ${this.door} connection on port ${port}` },
    );
  }

  async disconnect(): Promise<void> {
    const c = this.current;
    this.current = undefined;
    if (!c) return;
    c.close();
    await c.closed;
  }

  /** Resolves once the connection is gone however it ended (a killed instance: 1006). */
  async lost(): Promise<number> {
    const c = this.current!;
    const { code } = await c.closed;
    this.current = undefined;
    return code;
  }

  private open(port: number): RecordingClient {
    const since = this.door === 'market-data' && this.lastId ? `?since=${encodeURIComponent(this.lastId)}` : '';
    const path = this.door === 'market-data' ? `/ws/market-data/${SYMBOL}${since}` : '/ws/stream';
    const c = connectClient(`ws://127.0.0.1:${port}${path}`);
    clients.push(c);
    c.ws.on('message', (raw) => {
      const m = JSON.parse(String(raw)) as WsMessage;
      if (m.type === 'error') this.errors.push(m);
      // Tick 0's price is 0, the contract default, which `/ws/stream` frames leave out (issue 19).
      const price = m.type === 'market_data_update' ? m.data?.price : m.type === 'data' ? (m.data?.event?.payload?.price ?? 0) : undefined;
      if (typeof price !== 'number') return;
      this.numbers.push(price);
      // A door's message carries `id`; a `/ws/stream` event, `event_id` (seed 002).
      this.lastId = (m.id ?? m.data?.event?.event_id) as string;
    });
    return c;
  }
}

/** The prices a tRPC `streams.events` subscription (SSE) yields, resuming after `lastEventId`. */
function trpcPrices(port: number, lastEventId: string): { prices: number[]; stop: () => void } {
  const prices: number[] = [];
  const abort = new AbortController();
  const input = encodeURIComponent(JSON.stringify({ channels: [`market-data:${SYMBOL}`], types: [TYPE], lastEventId }));
  void (async () => {
    const res = await fetch(`http://127.0.0.1:${port}/trpc/streams.events?input=${input}`, {
      headers: { authorization: `Bearer ${tokenFor('resume-test')}` },
      signal: abort.signal,
    });
    let text = '';
    for await (const chunk of res.body!) {
      text += Buffer.from(chunk).toString('utf8');
      let end: number;
      while ((end = text.indexOf('\n\n')) >= 0) {
        const data = text
          .slice(0, end)
          .split('\n')
          .find((l) => l.startsWith('data: ') && l.includes('"price"'));
        text = text.slice(end + 2);
        if (data) prices.push((JSON.parse(data.slice(6)) as { data: { price: number } }).data.price);
      }
    }
  })().catch(() => undefined);
  return { prices, stop: () => abort.abort() };
}

beforeAll(async () => {
  await rig.init('gateway-resume');
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await rig.stop();
});

describe('resume from Kafka (issue 15)', () => {
  it('kill -9 the gateway while three clients stream a numbered sequence, restart it: every client resumes with no gap and no duplicate', async () => {
    const prefix = uniqueTopicPrefix('resume-restart');
    const bus = publisherFor(prefix);
    await publishRange(bus, -1, 0); // creates the topics before the gateway starts
    const first = await startGateway(prefix, 'restart');
    const port = first.port;
    const seqClients = [new SequenceClient('market-data'), new SequenceClient('market-data'), new SequenceClient('stream')];
    await Promise.all(seqClients.map((c) => c.connect(port)));

    await publishRange(bus, 0, 300);
    await waitFor(() => seqClients.every((c) => c.numbers.length >= 300) || undefined, {
      timeoutMs: 30_000,
      what: '300 ticks on every client',
    });

    // Ticks keep coming (about 200/s) while the instance dies, while it is down and while it starts again.
    const LAST = 2000;
    let next = 300;
    const producer = (async () => {
      for (; next < LAST; next += 10) {
        await publishRange(bus, next, next + 10);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await waitFor(() => next >= 400 || undefined, { timeoutMs: 30_000, what: 'the producer to run' });
    first.process.child.kill('SIGKILL');
    await first.process.exited;
    await Promise.all(seqClients.map((c) => c.lost()));
    await waitFor(() => next >= 700 || undefined, { timeoutMs: 30_000, what: 'ticks published while the gateway is down' });

    // On a port of its own, as behind a load balancer: the killed instance's port, free again, can
    // meanwhile be any process's (an outgoing connection of a test running beside this one took it once).
    const restartPort = await freePort();
    startGateway(prefix, 'restart', {}, restartPort).catch(() => undefined);
    // The clients reconnect at once: refused with 1013 until the instance is positioned.
    await Promise.all(seqClients.map((c) => c.connect(restartPort)));
    await producer;
    await publishRange(bus, LAST, LAST + 100);
    const expected = range(0, LAST + 100);
    await waitFor(() => seqClients.every((c) => c.numbers.length >= expected.length) || undefined, {
      timeoutMs: 60_000,
      what: `every client to reach ${expected.length} ticks (${seqClients.map((c) => c.numbers.length).join(', ')})`,
    });
    for (const c of seqClients) {
      expect(firstBreak(c.numbers, expected)).toBe('none');
      expect(c.errors).toEqual([]);
    }
  }, 240_000);

  it('a client away for 30,000 events (far beyond the in-memory history) resumes exactly, then continues live', async () => {
    const prefix = uniqueTopicPrefix('resume-long');
    const bus = publisherFor(prefix);
    await publishRange(bus, -1, 0);
    const gw = await startGateway(prefix, 'long', { WS_HISTORY_SIZE: '1000' });
    const client = new SequenceClient('market-data');
    await client.connect(gw.port);
    await publishRange(bus, 0, 10);
    await waitFor(() => client.numbers.length >= 10 || undefined, { timeoutMs: 20_000, what: 'ten ticks' });
    await client.disconnect();

    // Unrelated symbols' traffic in the same topic (other partitions, record batches larger than
    // one fetch asks for) must neither evict nor hide any of this client's ticks.
    await publishRange(bus, 10, 30_010, ['OTA', 'OTB', 'OTC']);
    await client.connect(gw.port);
    await publishRange(bus, 30_010, 30_020);
    await waitFor(() => client.numbers.length >= 30_020 || undefined, {
      timeoutMs: 120_000,
      what: `30,020 ticks (have ${client.numbers.length})`,
    });
    expect(firstBreak(client.numbers, range(0, 30_020))).toBe('none');
    expect(client.errors).toEqual([]);
  }, 240_000);

  it('a client resumes on a second instance started after it left, on a door and as a tRPC subscription (lastEventId)', async () => {
    const prefix = uniqueTopicPrefix('resume-second');
    const bus = publisherFor(prefix);
    await publishRange(bus, -1, 0);
    const a = await startGateway(prefix, 'second-a');
    const client = new SequenceClient('market-data');
    await client.connect(a.port);
    await publishRange(bus, 0, 50);
    await waitFor(() => client.numbers.length >= 50 || undefined, { timeoutMs: 20_000, what: 'fifty ticks' });
    await client.disconnect();
    await publishRange(bus, 50, 250);

    // A history of 20 per channel: what b warmed holds the id, not the 200 ticks after it.
    const b = await startGateway(prefix, 'second-b', { WS_HISTORY_SIZE: '20', JWT_SECRET: SECRET });
    const since = client.lastId!;
    await client.connect(b.port);
    // The same position as a tRPC subscription's lastEventId (SSE read directly).
    const overTrpc = trpcPrices(b.port, since);
    await publishRange(bus, 250, 260);
    await waitFor(() => client.numbers.length >= 260 || undefined, {
      timeoutMs: 30_000,
      what: `260 ticks (have ${client.numbers.length})`,
    });
    await waitFor(() => overTrpc.prices.length >= 210 || undefined, {
      timeoutMs: 30_000,
      what: `210 ticks over tRPC (have ${overTrpc.prices.length})`,
    });
    overTrpc.stop();
    expect(firstBreak(client.numbers, range(0, 260))).toBe('none');
    expect(client.errors).toEqual([]);
    expect(firstBreak(overTrpc.prices, range(50, 260))).toBe('none');
  }, 120_000);

  it('a position older than retention gets CANNOT_RECOVER; one still retained, beyond the in-memory history, resumes exactly', async () => {
    const prefix = uniqueTopicPrefix('resume-retention');
    const bus = publisherFor(prefix);
    await publishRange(bus, -1, 0);
    const gw = await startGateway(prefix, 'retention', { WS_HISTORY_SIZE: '20' });
    const old = new SequenceClient('market-data');
    const recent = new SequenceClient('market-data');
    await Promise.all([old.connect(gw.port), recent.connect(gw.port)]);
    await publishRange(bus, 0, 100);
    await waitFor(() => (old.numbers.length >= 100 && recent.numbers.length >= 100) || undefined, {
      timeoutMs: 20_000,
      what: '100 ticks on both',
    });
    await old.disconnect();
    await publishRange(bus, 100, 200);
    await waitFor(() => recent.numbers.length >= 200 || undefined, { timeoutMs: 20_000, what: '200 ticks on the second client' });
    await recent.disconnect();
    await publishRange(bus, 200, 300);

    // Retention passes over the first client's position (tick 99) but not the second's (tick 199).
    const kafka = new Kafka({ clientId: 'resume-retention', brokers: kafkaBrokers().split(','), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const topic = topicFor(prefix, TYPE);
      const ends = await admin.fetchTopicOffsets(topic);
      const held = ends.find((p) => Number(p.high) >= 300)!;
      // Ticks -1..299 sit on one partition at offsets 0..300: keep from tick 150 (offset 151) on.
      await admin.deleteTopicRecords({ topic, partitions: [{ partition: held.partition, offset: '151' }] });
    } finally {
      await admin.disconnect();
    }

    await Promise.all([old.connect(gw.port), recent.connect(gw.port)]);
    await publishRange(bus, 300, 310);
    await waitFor(() => recent.numbers.length >= 310 || undefined, {
      timeoutMs: 30_000,
      what: `310 ticks on the second client (have ${recent.numbers.length})`,
    });
    expect(firstBreak(recent.numbers, range(0, 310))).toBe('none');
    expect(recent.errors).toEqual([]);
    await waitFor(() => old.errors.length > 0 || undefined, { timeoutMs: 20_000, what: 'CANNOT_RECOVER for the first client' });
    // Told why: the broker's OFFSET_OUT_OF_RANGE, not a read that failed (kafkajs's Fetch parser threw its own error for it).
    expect(old.errors[0]).toMatchObject({ code: 'CANNOT_RECOVER', message: expect.stringContaining("past Kafka's retention") });
    // It continues with live messages.
    await waitFor(() => old.numbers.includes(309) || undefined, { timeoutMs: 20_000, what: 'live ticks after CANNOT_RECOVER' });
  }, 120_000);
});
