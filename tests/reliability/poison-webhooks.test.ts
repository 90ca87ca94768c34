import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, uniqueTopicPrefix, waitFor, type TestDatabase } from '../harness';
import { predictionEvent, Receiver, startWebhookService, type RunningService } from '../e2e/webhooks-support';
import { awaitDeadLetters, encoded, produceRaw, undecodable, type RawRecord } from './poison.kit';

// Issue 13: one published event with a NUL character in its id or subject stopped webhook intake
// for its event type for every user (PostgreSQL refuses NUL in text; the insert was retried for
// ever, and every event batched with it failed too). Now the poison record is retried a bounded
// number of times, dead-lettered with its source coordinates, and the events after it delivered.

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const traced = (r: RawRecord): RawRecord => ({ ...r, headers: { ...r.headers, traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` } });

let db: TestDatabase;
let prefix: string;
let receiver: Receiver;
let service: RunningService | undefined;

beforeAll(async () => {
  db = await createTestDatabase('poison_webhooks');
  prefix = uniqueTopicPrefix('poison-webhooks');
  receiver = await Receiver.start(() => 200);
  service = await startWebhookService({
    databaseUrl: db.url,
    topicPrefix: prefix,
    env: { BUS_HANDLER_MAX_ATTEMPTS: '3', BUS_RETRY_BACKOFF_MAX_MS: '200' },
    label: 'poison-webhooks',
  });
  await service.client.createEndpoint({ user_id: 'poison_user', url: receiver.url('/poison'), events: ['prediction_complete'] });
}, 120_000);

afterAll(async () => {
  await service?.stop();
  await receiver?.close();
  await db?.drop();
});

describe('webhook intake and poison records', () => {
  it('delivers the events after a NUL id, a NUL subject and undecodable bytes on the same partition', async () => {
    const good = ['evt_poison_good_1', 'evt_poison_good_2', 'evt_poison_good_3', 'evt_poison_good_4'];
    await produceRaw(prefix, 'prediction_complete', [
      encoded(predictionEvent(good[0], 'AAPL')),
      traced(encoded(predictionEvent('evt_nul_\u0000_id', 'AAPL'))),
      encoded(predictionEvent(good[1], 'AAPL')),
      encoded(predictionEvent('evt_nul_subject', 'AA\u0000PL')),
      encoded(predictionEvent(good[2], 'AAPL')),
      undecodable(),
      encoded(predictionEvent(good[3], 'AAPL')),
    ]);
    await waitFor(() => good.every((id) => receiver.byId(id).length > 0), {
      timeoutMs: 90_000,
      what: 'the good events around the poison ones at the receiver',
    });
    expect(receiver.byId('evt_nul_subject')).toHaveLength(0);

    const letters = await awaitDeadLetters(prefix, 3);
    const topic = `${prefix}prediction_complete`;
    const byOffset = new Map(letters.map((l) => [l.source.offset, l]));
    expect(letters.every((l) => l.source.topic === topic && l.source.partition === 0)).toBe(true);
    expect([...byOffset.keys()].sort()).toEqual(['1', '3', '5']);
    expect(byOffset.get('1')).toMatchObject({
      failure: { reason: 'DATABASE_REFUSED_RECORD' },
      attempts: 3,
      event: { id: 'evt_nul_\u0000_id' },
    });
    expect(byOffset.get('3')).toMatchObject({ failure: { reason: 'DATABASE_REFUSED_RECORD' }, event: { subject: 'AA\u0000PL' } });
    expect(byOffset.get('5')).toMatchObject({ failure: { reason: 'EVENT_UNDECODABLE' }, attempts: 0 });
    // The original headers travel with the dead letter, and its message names no SQL.
    expect(byOffset.get('1')!.source.headers['event-id']?.toString()).toBe('evt_nul_\u0000_id');
    expect(byOffset.get('1')!.group).toBe(`${prefix}webhook-delivery`);
    for (const l of letters) expect(l.failure.message).not.toMatch(/INSERT|SELECT|0x00/);

    // One log line per dead letter, with the source coordinates.
    const lines = service!.proc
      .output()
      .split('\n')
      .filter((l) => l.includes('event dead-lettered'));
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[0])).toMatchObject({
      level: 'error',
      trace_id: TRACE_ID,
      topic,
      partition: 0,
      offset: '1',
      reason: 'DATABASE_REFUSED_RECORD',
    });
    expect(byOffset.get('1')!.source.headers.traceparent?.toString()).toContain(TRACE_ID);
  }, 120_000);
});
