import { status as GrpcStatus } from '@grpc/grpc-js';
import type { events } from '@marketpulse/proto';
import { createLogger, type Bus } from '@marketpulse/runtime';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors';
import { MemoryPublishedIds } from './published_ids_memory';
import { checkWholeEvent } from './entry_checks';
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

const memoryIds = () => new MemoryPublishedIds();
const position = { position_id: 'p1', symbol: 'BTC/USDT', status: 'open', spot_entry_price: '45000.00' };

describe('event publisher', () => {
  it('fills id, time, source and subject and puts the typed payload on the bus', async () => {
    const bus = recordingBus();
    const [event] = await createEventPublisher(bus, logger, memoryIds()).publish(
      [{ type: 'position_update', data: position }],
      checkWholeEvent,
      'trading-engine',
    );
    expect(event).toMatchObject({ type: 'position_update', source: 'trading-engine', subject: 'BTC/USDT' });
    // Scoped to its publisher (see the duplicate test): trading-engine/<uuid>.
    expect(event!.id).toMatch(/^trading-engine\/[0-9a-f-]{36}$/);
    expect(event!.payload).toMatchObject({ $case: 'position_update', position_update: { ...position, perp_quantity: '' } });
    expect(bus.published).toEqual([event]);
  });

  it('refuses a batch with one bad event, naming its field, and publishes none', async () => {
    const bus = recordingBus();
    const err = await createEventPublisher(bus, logger, memoryIds())
      .publish(
        [
          { type: 'position_update', data: position },
          { type: 'equity_update', data: { total_equity: '1e4' } },
        ],
        checkWholeEvent,
        'x',
      )
      .catch((e: unknown) => e as ApiError);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).httpStatus).toBe(400);
    expect((err as ApiError).details?.fields?.[0]?.field).toBe('events.1.data.total_equity');
    expect(bus.published).toEqual([]);
  });

  it("refuses types the suite's own services produce and fields the contract lacks", async () => {
    const publisher = createEventPublisher(recordingBus(), logger, memoryIds());
    const spoof = await publisher.publish([{ type: 'alert_triggered', data: {} }], checkWholeEvent, 'x').catch((e: ApiError) => e);
    expect((spoof as ApiError).details?.fields?.[0]?.field).toBe('type');
    const extra = await publisher
      .publish([{ type: 'position_update', data: { ...position, leverage: '3' } }], checkWholeEvent, 'x')
      .catch((e: ApiError) => e);
    expect((extra as ApiError).message).toContain('leverage');
  });
  it('answers an id whose earlier publish has not finished as PUBLISH_IN_PROGRESS (503, retry after), then as DUPLICATE_EVENT once it has', async () => {
    let answer: () => void = () => undefined;
    const slow = recordingBus();
    const bus: Bus = { ...slow, publish: (e) => new Promise<void>((resolve) => (answer = () => resolve(slow.publish(e)))) };
    const publisher = createEventPublisher(bus, logger, memoryIds());
    const item = { id: 'once', type: 'position_update', data: position };
    const first = publisher.publish([item], checkWholeEvent, 'engine');
    await new Promise((r) => setImmediate(r));
    const during = await publisher.publish([item], checkWholeEvent, 'engine').catch((e: unknown) => e as ApiError);
    expect(during).toMatchObject({
      appCode: 'PUBLISH_IN_PROGRESS',
      httpStatus: 503,
      grpcStatus: GrpcStatus.UNAVAILABLE,
      details: { ids: ['engine/once'], retry_after_seconds: 1 },
    });
    answer();
    await first;
    const after = await publisher.publish([item], checkWholeEvent, 'engine').catch((e: unknown) => e as ApiError);
    expect(after).toMatchObject({ appCode: 'DUPLICATE_EVENT', httpStatus: 409 });
    expect(slow.published.map((e) => e.id)).toEqual(['engine/once']);
  });

  it("answers a reused id as DUPLICATE_EVENT (409 / ALREADY_EXISTS) and publishes nothing, while another publisher's same id is its own", async () => {
    const bus = recordingBus();
    const publisher = createEventPublisher(bus, logger, memoryIds());
    const [first] = await publisher.publish([{ id: 'pos-42', type: 'position_update', data: position }], checkWholeEvent, 'engine-a');
    expect(first!.id).toBe('engine-a/pos-42');
    const again = await publisher
      .publish([{ id: 'pos-42', type: 'position_update', data: position }], checkWholeEvent, 'engine-a')
      .catch((e: ApiError) => e);
    expect(again).toMatchObject({ appCode: 'DUPLICATE_EVENT', httpStatus: 409, grpcStatus: GrpcStatus.ALREADY_EXISTS });
    // Another publisher cannot squat engine-a's id: its pos-42 is engine-b/pos-42.
    const [other] = await publisher.publish([{ id: 'pos-42', type: 'position_update', data: position }], checkWholeEvent, 'engine-b');
    expect(other!.id).toBe('engine-b/pos-42');
    // A batch repeating an id, or holding a known one, is refused whole.
    const inBatch = await publisher
      .publish(
        [
          { id: 'x', type: 'position_update', data: position },
          { id: 'x', type: 'position_update', data: position },
        ],
        checkWholeEvent,
        'engine-a',
      )
      .catch((e: ApiError) => e);
    expect(inBatch).toMatchObject({ appCode: 'DUPLICATE_EVENT' });
    const mixed = await publisher
      .publish(
        [
          { id: 'fresh', type: 'position_update', data: position },
          { id: 'pos-42', type: 'position_update', data: position },
        ],
        checkWholeEvent,
        'engine-a',
      )
      .catch((e: ApiError) => e);
    expect(mixed).toMatchObject({ appCode: 'DUPLICATE_EVENT' });
    expect(bus.published.map((e) => e.id)).toEqual(['engine-a/pos-42', 'engine-b/pos-42']);
    // The refused batch claimed nothing: 'fresh' can still be published.
    await expect(
      publisher.publish([{ id: 'fresh', type: 'position_update', data: position }], checkWholeEvent, 'engine-a'),
    ).resolves.toHaveLength(1);
  });
});
