import { events } from '@marketpulse/proto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alertsEncoder, liveEncoder, marketDataEncoder, predictionsEncoder, tradingEncoder, trpcEncoder } from '../doors/door_encoders';
import { streamEncoder } from '../doors/stream';
import type { RecordEvent } from './record_event';
import { publicationOfEvent } from './record_publication';
import { encoderOf, type ResumableEncoder } from './replay_encoders';

// Types the doors encode, and any other.
const TYPES = ['market_data_update', 'prediction_complete', 'alert_triggered', 'system_error', 'status_update', 'position_update'];
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
    event: fc.record({
      id: text,
      type: fc.oneof(fc.constantFrom(...TYPES), text),
      source: text,
      subject: text,
      owner: text,
      time,
      payload,
    }),
    traceparent: fc.option(text, { nil: undefined }),
    pos: fc.option(text, { nil: undefined }),
  })
  .map(({ event, traceparent, pos }) => ({
    event: events.Event.decode(events.Event.encode(events.Event.fromPartial(event)).finish()),
    traceparent,
    pos,
  }));

const ENCODERS: [string, ResumableEncoder][] = [
  ['market-data', marketDataEncoder],
  ['alerts', alertsEncoder],
  ['predictions', predictionsEncoder],
  ['trading', tradingEncoder],
  ['live', liveEncoder(() => 7)],
  ['trpc', trpcEncoder],
  ['stream events, json', streamEncoder('sub_1', 'events', {})],
  ['stream events, compact, pinned source', streamEncoder('sub_2', 'events', { source: 'feed' }, 'compact')],
  ['stream predictions, proto, pinned symbol', streamEncoder('sub_3', 'predictions', { symbol: 'AAPL' }, 'proto')],
  [
    'stream events, proto, two types',
    streamEncoder('sub_4', 'events', { event_type: ['market_data_update', 'prediction_complete'] }, 'proto'),
  ],
];

describe('frames the read-back thread builds (replay_encoders.ts)', () => {
  it.each(ENCODERS)(
    '%s: the encoder rebuilt from its recipe, copied across a thread boundary, makes the very frames the door makes',
    (_, door) => {
      // postMessage copies with the structured clone algorithm, as structuredClone does.
      const rebuilt = encoderOf(structuredClone(door.recipe));
      fc.assert(
        fc.property(decoded, (event) => {
          const pub = { ...publicationOfEvent(event), time: '2024-01-01T00:00:00.000Z' };
          const [want, got] = [door.encode(pub), rebuilt.encode(pub)];
          expect(got === null).toBe(want === null);
          if (!want || !got) return;
          expect(got.binary).toBe(want.binary);
          expect(got.wire.equals(want.wire)).toBe(true);
        }),
        { seed: 15, numRuns: 200 },
      );
    },
  );
});
