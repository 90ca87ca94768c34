import { events } from '@marketpulse/proto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packedCount, packEvents, unpackEvent, type RecordEvent } from './record_event';
import { publicationOfEvent } from './record_publication';

const text = fc.string({ unit: 'binary', maxLength: 12 });
// Every double, NaN and the infinities included: JSON cannot write those.
const number = fc.double();
const time = fc.option(
  fc.date({ noInvalidDate: true, min: new Date(0), max: new Date('2100-01-01') }).map((d) => d.toISOString()),
  {
    nil: undefined,
  },
);

const payload = fc.oneof(
  fc
    .record({ symbol: text, price: number, volume: number, bid: number, ask: number, timestamp: time, provider: text })
    .map((tick) => ({ $case: 'market_data_update' as const, market_data_update: tick })),
  fc
    .record({
      id: text,
      symbol: text,
      predicted_price: number,
      interval: fc.option(fc.record({ lower: number, upper: number }), { nil: undefined }),
      target_time: time,
    })
    .map((prediction) => ({ $case: 'prediction_complete' as const, prediction_complete: prediction })),
  fc.constant(undefined),
);

/** An event as the read-back thread decodes it from a record. */
const decoded: fc.Arbitrary<RecordEvent> = fc
  .record({
    event: fc.record({ id: text, type: text, source: text, subject: text, owner: text, time, payload }),
    traceparent: fc.option(text, { nil: undefined }),
    pos: fc.option(text, { nil: undefined }),
  })
  .map(({ event, traceparent, pos }) => ({
    event: events.Event.decode(events.Event.encode(events.Event.fromPartial(event)).finish()),
    traceparent,
    pos,
  }));

describe('packed events (the read-back thread to the gateway)', () => {
  it('give back, across a thread boundary, the very publications the decoded events make', () => {
    fc.assert(
      fc.property(fc.array(decoded, { maxLength: 8 }), (list) => {
        // postMessage copies with the structured clone algorithm, as structuredClone does.
        const packed = structuredClone(packEvents(list));
        expect(packedCount(packed)).toBe(list.length);
        list.forEach((original, i) => {
          const back = unpackEvent(packed, i);
          expect(back.traceparent).toBe(original.traceparent);
          expect(back.pos).toBe(original.pos);
          expect(back.event).toEqual(original.event);
          // Without a time, a publication takes the current one: not part of what is compared.
          const [want, got] = [publicationOfEvent(original), publicationOfEvent(back)].map((pub) => ({ ...pub, time: '' }));
          expect(got).toEqual(want);
          expect(JSON.stringify(got)).toBe(JSON.stringify(want));
          // Encoded again (the native door's binary frames), it is the same event.
          expect(events.Event.encode(back.event).finish()).toEqual(events.Event.encode(original.event).finish());
        });
      }),
      { seed: 15, numRuns: 300 },
    );
  });

  it('keep a payload whose numbers JSON cannot write (NaN, infinities) as the object itself', () => {
    const event = events.Event.fromPartial({
      id: 'e1',
      type: 'market_data_update',
      payload: { $case: 'market_data_update', market_data_update: { symbol: 'AAPL', price: Number.NaN, bid: Infinity } },
    });
    const back = unpackEvent(structuredClone(packEvents([{ event, traceparent: undefined, pos: undefined }])), 0);
    expect(back.event.payload).toEqual(event.payload);
  });
});
