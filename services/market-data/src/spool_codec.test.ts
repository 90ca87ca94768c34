import { describe, expect, it } from 'vitest';
import { EventFactory } from './events';
import { decodeRecords, encodeRecords } from './spool_codec';

const factory = new EventFactory('market-data');
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
    const decoded = decodeRecords(encodeRecords(list));
    expect(decoded.events).toEqual(list);
    expect(decoded.tornBytes).toBe(0);
  });

  it('stops before a record cut anywhere inside, never yielding a wrong event', () => {
    const list = ticks(3);
    const whole = encodeRecords(list);
    const firstTwo = encodeRecords(list.slice(0, 2)).length;
    for (let cut = firstTwo + 1; cut < whole.length; cut++) {
      const decoded = decodeRecords(whole.subarray(0, cut));
      expect(decoded.events.map((e) => e.id)).toEqual(list.slice(0, 2).map((e) => e.id));
      expect(decoded.validBytes).toBe(firstTwo);
      expect(decoded.tornBytes).toBe(cut - firstTwo);
    }
  });

  it('treats a damaged body or a zero-filled tail as torn', () => {
    const list = ticks(2);
    const damaged = Buffer.from(encodeRecords(list));
    damaged[damaged.length - 3] ^= 0xff;
    expect(decodeRecords(damaged).events.map((e) => e.id)).toEqual([list[0].id]);
    const zeros = Buffer.concat([encodeRecords(list), Buffer.alloc(64)]);
    expect(decodeRecords(zeros)).toMatchObject({ events: list, tornBytes: 64 });
  });
});
