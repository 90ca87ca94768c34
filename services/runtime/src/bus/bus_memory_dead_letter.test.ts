import { events } from '@marketpulse/proto';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../log/logger';
import { metricsRegistry } from '../metrics/registry';
import { parseDeadLetter } from './dead_letter';
import { MemoryBroker, MemoryBus } from './bus_memory';
import { unprocessableRecord } from './record_failure';

// The in-process bus sets failing records aside exactly as KafkaBus does (one consumeRecord).

const logger = createLogger('test', {}, { level: 'silent' });

function tick(id: string, symbol = 'AAPL'): events.Event {
  return events.Event.fromPartial({
    id,
    type: 'market_data_update',
    source: 'test',
    subject: symbol,
    payload: { $case: 'market_data_update', market_data_update: { symbol, price: 1 } },
  });
}

async function until(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const refused = () => Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });
const away = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

async function deadLetterCount(topic: string): Promise<number> {
  const metric = metricsRegistry().getSingleMetric('marketpulse_kafka_dead_letters_total');
  const values = (await metric!.get()).values.filter((v) => v.labels.topic === topic);
  return values.reduce((n, v) => n + v.value, 0);
}

describe('MemoryBus dead letters', () => {
  it('moves past a record its handler keeps failing on after the attempts, into ${prefix}dead_letter', async () => {
    const broker = new MemoryBroker({ logger, partitions: 1 });
    const bus = new MemoryBus({ broker, topicPrefix: 'dl1.', handlerRetry: { maxAttempts: 3, backoffBaseMs: 1, backoffMaxMs: 5 } });
    const attempts = new Map<string, number>();
    const handled: string[] = [];
    await bus.subscribe({
      groupId: 'g',
      types: ['market_data_update'],
      handler: async ({ event }) => {
        attempts.set(event.id, (attempts.get(event.id) ?? 0) + 1);
        if (event.id === 'bad') throw refused();
        handled.push(event.id);
      },
    });
    await bus.publish([tick('a'), tick('bad'), tick('b')]);
    await until(() => handled.length === 2);
    expect(handled).toEqual(['a', 'b']);
    expect(attempts.get('bad')).toBe(3);
    const [record, ...more] = broker.records('dl1.dead_letter');
    expect(more).toEqual([]);
    const letter = parseDeadLetter(record)!;
    expect(letter.source).toMatchObject({ topic: 'dl1.market_data_update', partition: 0, offset: '1' });
    expect(letter).toMatchObject({ group: 'dl1.g', attempts: 3, failure: { reason: 'DATABASE_REFUSED_RECORD' } });
    expect(events.Event.decode(letter.source.value!).id).toBe('bad');
    expect(await deadLetterCount('dl1.market_data_update')).toBe(1);
    await bus.close();
  });

  it('sets an unprocessable record aside at once, and keeps retrying while a dependency is away', async () => {
    const broker = new MemoryBroker({ logger, partitions: 1 });
    const bus = new MemoryBus({ broker, topicPrefix: 'dl2.', handlerRetry: { maxAttempts: 2, backoffBaseMs: 1, backoffMaxMs: 5 } });
    const attempts = new Map<string, number>();
    const handled: string[] = [];
    await bus.subscribe({
      groupId: 'g',
      types: ['market_data_update'],
      handler: async ({ event }) => {
        const n = (attempts.get(event.id) ?? 0) + 1;
        attempts.set(event.id, n);
        if (event.id === 'malformed') throw unprocessableRecord('TICK_MALFORMED', 'no price');
        if (event.id === 'outage' && n < 8) throw away();
        handled.push(event.id);
      },
    });
    await bus.publish([tick('malformed'), tick('outage'), tick('after')]);
    await until(() => handled.includes('after'));
    expect(handled).toEqual(['outage', 'after']);
    expect(attempts.get('malformed')).toBe(1);
    expect(attempts.get('outage')).toBe(8);
    expect(broker.records('dl2.dead_letter').map((r) => parseDeadLetter(r)!.failure.reason)).toEqual(['TICK_MALFORMED']);
    await bus.close();
  });

  it('leaves a failing record in place when the subscription closes, for the next member', async () => {
    const broker = new MemoryBroker({ logger, partitions: 1 });
    const bus = new MemoryBus({ broker, topicPrefix: 'dl3.', handlerRetry: { maxAttempts: 1000, backoffBaseMs: 1, backoffMaxMs: 5 } });
    let failing = 0;
    const sub = await bus.subscribe({
      groupId: 'g',
      types: ['market_data_update'],
      handler: async () =>
        void (
          (failing += 1),
          (() => {
            throw refused();
          })()
        ),
    });
    await bus.publish(tick('stuck'));
    await until(() => failing >= 3);
    await sub.close();
    const got: string[] = [];
    await bus.subscribe({ groupId: 'g', types: ['market_data_update'], handler: async ({ event }) => void got.push(event.id) });
    await until(() => got.length === 1);
    expect(got).toEqual(['stuck']);
    expect(broker.records('dl3.dead_letter')).toEqual([]);
    await bus.close();
  });

  it("sets aside, unhandled, an envelope whose payload is not its type's (a foreign producer's)", async () => {
    const broker = new MemoryBroker({ logger, partitions: 1 });
    const bus = new MemoryBus({ broker, topicPrefix: 'dl4.', handlerRetry: { maxAttempts: 3, backoffBaseMs: 1, backoffMaxMs: 5 } });
    const handled: string[] = [];
    await bus.subscribe({ groupId: 'g', types: ['market_data_update'], handler: async ({ event }) => void handled.push(event.id) });
    // A tick's type and subject around a user's alert: every reader of market-data:AAPL would get alice's alert as a tick.
    const disguised = events.Event.fromPartial({
      id: 'disguised',
      type: 'market_data_update',
      source: 'foreign',
      subject: 'AAPL',
      payload: { $case: 'alert_triggered', alert_triggered: { id: 'a1', user_id: 'alice', message: "alice's alert" } },
    });
    for (const event of [tick('a'), disguised, tick('b')]) {
      const value = events.Event.encode(event).finish();
      broker.append('dl4.market_data_update', event.subject, { value, event: events.Event.decode(value) }, {});
    }
    await until(() => handled.includes('b'));
    expect(handled).toEqual(['a', 'b']);
    const letters = broker.records('dl4.dead_letter').map((r) => parseDeadLetter(r)!);
    expect(letters.map((l) => [l.failure.reason, l.attempts])).toEqual([['BUS_INVALID_EVENT', 0]]);
    expect(letters[0]!.failure.message).toMatch(/market_data_update.*alert_triggered/);
    await bus.close();
  });
});
