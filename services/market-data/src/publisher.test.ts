import type { events } from '@marketpulse/proto';
import { createLogger, type Bus } from '@marketpulse/runtime';
import { describe, expect, it } from 'vitest';
import { EventPublisher } from './publisher';

const event = (i: number): events.Event => ({ id: `e${i}`, type: 'market_data_update', source: 'test', subject: 'AAPL', time: undefined, payload: undefined });
const logger = createLogger('test', {}, { level: 'silent' });

function flakyBus(failFirst: number) {
  const accepted: string[] = [];
  let calls = 0;
  const bus: Bus = {
    publish: async (input) => {
      calls++;
      if (calls <= failFirst) throw new Error('broker unavailable');
      accepted.push(...(Array.isArray(input) ? input : [input]).map((e) => e.id));
    },
    subscribe: async () => ({ close: async () => undefined }),
    health: async () => ({ ok: true, detail: '' }),
    close: async () => undefined,
  };
  return { bus, accepted };
}

describe('EventPublisher', () => {
  it('publishes in queue order, in batches, and retries a failed batch without loss or duplicates', async () => {
    const { bus, accepted } = flakyBus(2);
    const publisher = new EventPublisher({ bus, logger, batchSize: 7 });
    for (let i = 0; i < 50; i++) publisher.enqueue(event(i));
    await publisher.drain();
    expect(accepted).toEqual(Array.from({ length: 50 }, (_, i) => `e${i}`));
    expect(publisher.failures).toBe(2);
    expect(publisher.backlog()).toBe(0);
  });

  it('gives up on close when the bus stays away, and reports what was left', async () => {
    const { bus } = flakyBus(Infinity);
    const publisher = new EventPublisher({ bus, logger, batchSize: 10 });
    for (let i = 0; i < 25; i++) publisher.enqueue(event(i));
    expect(await publisher.close(300)).toBe(25);
  });
});
