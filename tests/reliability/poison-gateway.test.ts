import { createLogger } from '@marketpulse/runtime';
import { Hub, startEventConsumer } from '@marketpulse/gateway';
import { afterAll, describe, expect, it } from 'vitest';
import { testKafkaBus, tickEvent, uniqueTopicPrefix, waitFor } from '../harness';
import { awaitDeadLetters, encoded, produceRaw, undecodable } from './poison.kit';

// The gateway's event consumer (Kafka -> WebSocket hub) on the real broker: undecodable bytes, and
// an event the hub throws on (a bug one record's shape hits), between good events on one
// partition. The good ones after them reach the hub; the bad ones are in the dead-letter topic.

const logger = createLogger('poison-gateway', {}, { level: 'warn' });
const prefix = uniqueTopicPrefix('poison-gateway');
const bus = testKafkaBus(prefix, {
  clientId: 'poison-gateway',
  logger,
  handlerRetry: { maxAttempts: 3, backoffBaseMs: 50, backoffMaxMs: 200 },
});

afterAll(async () => {
  await bus.close();
});

const tick = (id: string, price: number) => tickEvent({ id, price, source: 'market-data' });

describe('gateway event consumer and poison records', () => {
  it('passes on the events after undecodable bytes and after an event the hub throws on', async () => {
    const hub = new Hub(100);
    const reached: string[] = [];
    const publish = hub.publish.bind(hub);
    hub.publish = (channels, input) => {
      if (input.id === 'tick-hub-throws') throw new TypeError("Cannot read properties of undefined (reading 'price')");
      reached.push(input.id);
      return publish(channels, input);
    };
    const subscription = await startEventConsumer({ bus, hub, groupId: 'gateway-poison', logger });
    try {
      await produceRaw(prefix, 'market_data_update', [
        encoded(tick('tick-1', 1)),
        undecodable(),
        encoded(tick('tick-2', 2)),
        encoded(tick('tick-hub-throws', 3)),
        encoded(tick('tick-3', 4)),
      ]);
      await waitFor(() => reached.includes('tick-3'), { timeoutMs: 60_000, what: 'the last good event at the hub' });
      expect(reached).toEqual(['tick-1', 'tick-2', 'tick-3']);
      const letters = await awaitDeadLetters(prefix, 2);
      expect(letters.map((l) => [l.source.offset, l.failure.reason, l.attempts, l.group]).sort()).toEqual([
        ['1', 'EVENT_UNDECODABLE', 0, `${prefix}gateway-poison`],
        ['3', 'HANDLER_FAILED', 3, `${prefix}gateway-poison`],
      ]);
      // The message says what failed without the exception's text.
      expect(letters.find((l) => l.source.offset === '3')!.failure.message).not.toContain('price');
    } finally {
      await subscription.close();
    }
  }, 120_000);
});
