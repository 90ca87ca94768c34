import { events } from '@marketpulse/proto';
import { describe, expect, it } from 'vitest';
import { decodeRecord } from './record_event';

// What a resume reads back from Kafka is what live delivery handled: a record the bus sets aside
// (an envelope whose payload is not its type's, e.g. a tick's type around a user's alert) is never
// replayed to a reader of that type either.

const record = (event: events.Event) => ({
  topic: 'p.market_data_update',
  partition: 0,
  offset: 7,
  timestamp: 0,
  value: Buffer.from(events.Event.encode(event).finish()),
  headers: {},
});

describe('decodeRecord', () => {
  it('skips an envelope whose payload is not its type, or of an unknown type; keeps a consistent one', () => {
    const envelope = { id: 'e1', type: 'market_data_update', source: 'foreign', subject: 'AAPL' };
    const disguised = events.Event.fromPartial({
      ...envelope,
      payload: { $case: 'alert_triggered', alert_triggered: { id: 'a1', user_id: 'alice', message: "alice's alert" } },
    });
    expect(decodeRecord(record(disguised))).toBeNull();
    // A type the catalog does not know: live delivery skips it too (events/consumer.ts).
    expect(decodeRecord(record(events.Event.fromPartial({ ...envelope, type: 'made_up' })))).toBeNull();
    const tick = events.Event.fromPartial({
      ...envelope,
      payload: { $case: 'market_data_update', market_data_update: { symbol: 'AAPL' } },
    });
    expect(decodeRecord(record(tick))?.event.id).toBe('e1');
  });
});
