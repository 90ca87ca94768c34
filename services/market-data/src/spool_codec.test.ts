import { crc32 } from 'node:zlib';
import { events } from '@marketpulse/proto';
import { describe, expect, it } from 'vitest';
import { EventFactory } from './events';
import { decodeRecords, encodeRecords } from './spool_codec';

const factory = new EventFactory('market-data');
const untraced = (list: events.Event[]) => list.map((event) => ({ event, traceparent: null }));
const ticks = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    factory.tick(
      { symbol: 'AAPL', price: 100 + i, volume: 1, bid: 99 + i, ask: 101 + i, timeMs: 1_700_000_000_000 + i, provider: 'simulated' },
      i + 1,
    ),
  );

describe('spool records', () => {
  it('round-trips events of every market-data kind with their ids and payloads', () => {
    const list = [
      ...ticks(3),
      factory.aggregation({
        symbol: 'AAPL',
        interval: '1s',
        startMs: 1_700_000_000_000,
        endMs: 1_700_000_001_000,
        open: 1,
        high: 2,
        low: 0.5,
        close: 1.5,
        volume: 10,
        notional: 15,
        trades: 4,
        closed: true,
      }),
    ];
    const decoded = decodeRecords(encodeRecords(untraced(list)));
    expect(decoded.records.map((r) => r.event)).toEqual(list);
    expect(decoded.tornBytes).toBe(0);
  });

  it('stops before a record cut anywhere inside, never yielding a wrong event', () => {
    const list = ticks(3);
    const whole = encodeRecords(untraced(list));
    const firstTwo = encodeRecords(untraced(list.slice(0, 2))).length;
    for (let cut = firstTwo + 1; cut < whole.length; cut++) {
      const decoded = decodeRecords(whole.subarray(0, cut));
      expect(decoded.records.map((r) => r.event.id)).toEqual(list.slice(0, 2).map((e) => e.id));
      expect(decoded.validBytes).toBe(firstTwo);
      expect(decoded.tornBytes).toBe(cut - firstTwo);
    }
  });

  it('treats a damaged body or a zero-filled tail as torn', () => {
    const list = ticks(2);
    const damaged = Buffer.from(encodeRecords(untraced(list)));
    damaged[damaged.length - 3] ^= 0xff;
    expect(decodeRecords(damaged).records.map((r) => r.event.id)).toEqual([list[0].id]);
    const zeros = Buffer.concat([encodeRecords(untraced(list)), Buffer.alloc(64)]);
    expect(decodeRecords(zeros)).toMatchObject({ records: untraced(list), tornBytes: 64 });
  });

  it('keeps the traceparent of each event, and reads records of the format before traces were kept', () => {
    const [a, b, c] = ticks(3);
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const mixed = encodeRecords([
      { event: a, traceparent },
      { event: b, traceparent: null },
    ]);
    expect(decodeRecords(mixed).records).toEqual([
      { event: a, traceparent },
      { event: b, traceparent: null },
    ]);
    // The earlier format, written by hand: [length][crc32][events.Event], no trace.
    const body = events.Event.encode(c).finish();
    const header = Buffer.alloc(8);
    header.writeUInt32BE(body.length, 0);
    header.writeUInt32BE(crc32(body), 4);
    const older = Buffer.concat([header, body, mixed]);
    expect(decodeRecords(older)).toMatchObject({
      records: [{ event: c, traceparent: null }, { traceparent }, { traceparent: null }],
      tornBytes: 0,
    });
  });
});
