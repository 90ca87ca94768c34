import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueTopicPrefix, waitFor } from '../harness';
import { connectClient, type RecordingClient } from '../e2e/gateway_ws_client';
import { publishRange, ResumeRig, SYMBOL, tick, TYPE } from './gateway-resume.kit';

// A resume's Kafka read-back belongs to its subscription: once the client unsubscribes (or a seed
// door switches symbol) it stops, and the client's replies and other subscriptions' live events,
// held while it runs, go out. Before, it ran to its end whatever the client did: a client could
// queue read-backs of all retention by subscribing and unsubscribing (an instance runs
// WS_RESUME_MAX_READS at once, the others wait), and got its `unsubscribed`, its next `subscribed`
// and every live event only after the whole backlog of a subscription it had left.

const rig = new ResumeRig();
const clients: RecordingClient[] = [];
const FILTERS = { subject: SYMBOL, event_type: TYPE };
/** Slow read-backs: one event per chunk, 20 per second, so the backlog takes ~20 s to read back in full. */
const SLOW_READ = { WS_RESUME_READ_RATE: '20', WS_RESUME_READ_CHUNK: '1' };
const BACKLOG = 400;

function open(url: string): RecordingClient {
  const c = connectClient(url);
  clients.push(c);
  return c;
}

beforeAll(async () => {
  await rig.init('gateway-resume-unsubscribe');
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await rig.stop();
});

describe('a resume read-back ends with its subscription', () => {
  it('/ws/stream: after unsubscribe no data of that subscription arrives and a new subscription is live at once', async () => {
    const prefix = uniqueTopicPrefix('resume-unsub');
    const bus = rig.publisherFor(prefix);
    await publishRange(bus, -1, 0);
    const gw = await rig.startGateway(prefix, 'unsub', SLOW_READ);
    const first = open(`ws://127.0.0.1:${gw.port}/ws/stream`);
    await first.opened();
    first.send({ type: 'subscribe', data: { type: 'events', filters: FILTERS } });
    const position = (await first.next('subscribed')).position as string;
    await publishRange(bus, 0, BACKLOG);
    await waitFor(() => first.all('data').length >= BACKLOG || undefined, { timeoutMs: 30_000, what: `${BACKLOG} ticks live` });

    const client = open(`ws://127.0.0.1:${gw.port}/ws/stream`);
    await client.opened();
    client.send({ type: 'subscribe', data: { type: 'events', filters: FILTERS, position } });
    const resumed = (await client.next('subscribed')).subscription_id as string;
    client.send({ type: 'unsubscribe', data: { subscription_id: resumed } });
    await client.next('unsubscribed', 60_000);
    const left = client.messages.findIndex((m) => m.type === 'unsubscribed');
    client.send({ type: 'subscribe', data: { type: 'events', filters: { subject: 'MRK' } } });
    const marker = (await client.next('subscribed')).subscription_id as string;
    await bus.publish([tick(1, 'MRK')]);
    await waitFor(() => client.messages.some((m) => m.type === 'data' && m.subscription_id === marker) || undefined, {
      timeoutMs: 60_000,
      what: 'the new subscription’s live event',
    });
    // The replies wait behind the data already read back, in order; the read-back stopped at the unsubscribe.
    const replayed = client.messages.filter((m) => m.type === 'data' && m.subscription_id === resumed);
    expect(replayed.length, 'events read back after the client unsubscribed').toBeLessThan(BACKLOG);
    const after = client.messages.slice(left).filter((m) => m.type === 'data' && m.subscription_id === resumed);
    expect(after.length, `data of ${resumed} after it was unsubscribed`).toBe(0);
    expect(client.all('error')).toEqual([]);
  }, 180_000);
});
