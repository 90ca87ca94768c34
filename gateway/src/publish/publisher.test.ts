import type { events } from '@marketpulse/proto';
import { createLogger, type Bus } from '@marketpulse/runtime';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors';
import { createEventPublisher } from './publisher';

function recordingBus(): Bus & { published: events.Event[] } {
  const published: events.Event[] = [];
  return {
    published,
    publish: async (e) => void published.push(...(Array.isArray(e) ? e : [e])),
    subscribe: async () => ({ close: async () => undefined }),
    health: async () => ({ ok: true, detail: '' }),
    close: async () => undefined,
  };
}

const logger = createLogger('publisher-test', {}, { level: 'silent' });
const position = { position_id: 'p1', symbol: 'BTC/USDT', status: 'open', spot_entry_price: '45000.00' };

describe('event publisher', () => {
  it('fills id, time, source and subject and puts the typed payload on the bus', async () => {
    const bus = recordingBus();
    const [event] = await createEventPublisher(bus, logger).publish([{ type: 'position_update', data: position }], 'trading-engine');
    expect(event).toMatchObject({ type: 'position_update', source: 'trading-engine', subject: 'BTC/USDT' });
    expect(event!.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(event!.payload).toMatchObject({ $case: 'position_update', position_update: { ...position, perp_quantity: '' } });
    expect(bus.published).toEqual([event]);
  });

  it('refuses a batch with one bad event, naming its field, and publishes none', async () => {
    const bus = recordingBus();
    const err = await createEventPublisher(bus, logger)
      .publish([{ type: 'position_update', data: position }, { type: 'equity_update', data: { total_equity: '1e4' } }], 'x')
      .catch((e: unknown) => e as ApiError);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).httpStatus).toBe(400);
    expect((err as ApiError).details?.fields?.[0]?.field).toBe('events.1.data.total_equity');
    expect(bus.published).toEqual([]);
  });

  it('refuses types the suite\'s own services produce and fields the contract lacks', async () => {
    const publisher = createEventPublisher(recordingBus(), logger);
    const spoof = await publisher.publish([{ type: 'alert_triggered', data: {} }], 'x').catch((e: ApiError) => e);
    expect((spoof as ApiError).details?.fields?.[0]?.field).toBe('type');
    const extra = await publisher.publish([{ type: 'position_update', data: { ...position, leverage: '3' } }], 'x').catch((e: ApiError) => e);
    expect((extra as ApiError).message).toContain('leverage');
  });
});
