import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ANONYMOUS, type Principal } from '../../auth';
import { HubHistory, type Publication } from '../history';
import { Hub, type PublicationInput } from '../hub';
import { PositionIndex } from './positions';
import { typeChannel } from './type_channel';

const reader: Principal = { ...ANONYMOUS, userId: 'u1', method: 'jwt', channels: ['*'], scopes: ['read'] };

function input(id: string, type: string): PublicationInput {
  return { id, type, source: 'test', subject: 'AAPL', owner: '', time: '2024-01-01T00:00:00Z', traceId: '', data: {} };
}

function pub(id: string, seq: number): Publication {
  return { ...input(id, 'market_data_update'), seq, channels: ['events'] };
}

describe('history windows (issue 15)', () => {
  it("a filtered subscription resumes from its types' channel: unrelated traffic on `events` cannot evict its window", () => {
    const hub = new Hub(100);
    hub.publish(['alerts', 'events'], input('a1', 'alert_triggered'));
    for (let i = 0; i < 1500; i++) hub.publish(['market-data:AAPL', 'events'], input(`m${i}`, 'market_data_update'));
    hub.publish(['alerts', 'events'], input('a2', 'alert_triggered'));
    // `events` holds the last 100 market ticks only; the alert's own window still holds a1.
    expect(hub.recover(['events'], 'a1', reader)).toEqual({ recovered: false });
    const recovery = hub.recover([typeChannel('alert_triggered'), typeChannel('rate_limit_alert')], 'a1', reader);
    expect(recovery.recovered && recovery.publications.map((p) => p.id)).toEqual(['a2']);
  });

  it('a channel history is bounded by age as well as count: an expired publication cannot be resumed from memory', () => {
    let now = 0;
    const held = new HubHistory(10, 1000, () => now);
    const history = held.window();
    const append = (id: string, seq: number) => history.append(held.entry(pub(id, seq)));
    append('e1', 1);
    now = 600;
    append('e2', 2);
    now = 1200;
    append('e3', 3);
    expect(history.has('e1')).toBe(false);
    expect(history.evictedSeq).toBe(1);
    expect(history.after(0).map((p) => p.id)).toEqual(['e2', 'e3']);
    now = 5000;
    history.expire();
    expect(history.length).toBe(0);
    expect(history.evictedSeq).toBe(3);
    // It fills again after emptying (slots reused, order kept).
    for (let i = 4; i < 20; i++) append(`e${i}`, i);
    expect(history.after(0).map((p) => p.id)).toEqual(Array.from({ length: 10 }, (_, i) => `e${i + 10}`));
  });
});

describe('PositionIndex', () => {
  const topics = new Set(['t.a', 't.b']);

  it("maps an id to the frontier right after it: every partition's next offset as handled then", () => {
    const index = new PositionIndex({ capacity: 100, maxAgeMs: 60_000 });
    index.seed(
      new Map([
        ['t.a/0', 10],
        ['t.a/1', 5],
        ['t.b/0', 0],
        ['other/0', 7],
      ]),
    );
    index.record('x1', 't.a/0', 10, 1);
    index.record('x2', 't.b/0', 0, 2);
    index.record('x3', 't.a/1', 5, 3);
    index.record('x4', 't.a/0', 11, 4);
    expect(Object.fromEntries(index.frontierAfter('x2', topics)!)).toEqual({ 't.a/0': 11, 't.a/1': 5, 't.b/0': 1 });
    expect(Object.fromEntries(index.frontierNow(topics))).toEqual({ 't.a/0': 12, 't.a/1': 6, 't.b/0': 1 });
    expect(index.frontierAfter('nope', topics)).toBeUndefined();
  });

  it('forgets ids beyond its count or age, keeping the frontier of what it forgot as the base', () => {
    let now = 0;
    const index = new PositionIndex({ capacity: 2, maxAgeMs: 1000, now: () => now });
    index.seed(new Map([['t.a/0', 0]]));
    index.record('x1', 't.a/0', 0, 1);
    index.record('x2', 't.a/0', 1, 2);
    index.record('x3', 't.a/0', 2, 3);
    expect(index.has('x1')).toBe(false);
    expect(Object.fromEntries(index.frontierAfter('x2', topics)!)).toEqual({ 't.a/0': 2 });
    now = 5000;
    index.record('x4', 't.a/0', 3, 4);
    expect([index.has('x2'), index.has('x3'), index.has('x4')]).toEqual([false, false, true]);
    expect(Object.fromEntries(index.frontierAfter('x4', topics)!)).toEqual({ 't.a/0': 4 });
  });

  it('a redelivered id keeps the position it was first handled at', () => {
    const index = new PositionIndex({ capacity: 10, maxAgeMs: 60_000 });
    index.record('x1', 't.a/0', 0, 1);
    index.record('x2', 't.a/0', 1, 2);
    index.record('x1', 't.a/0', 2, 3);
    expect(Object.fromEntries(index.frontierAfter('x1', topics)!)).toEqual({ 't.a/0': 1 });
  });

  it('property: the first record a client at a frontier was not sent is found by its seq, or told to be past what the index keeps', () => {
    const partitions = ['t.a/0', 't.a/1', 't.a/2'];
    const scenario = fc
      .record({
        order: fc.array(fc.nat({ max: 2 }), { maxLength: 40 }),
        capacity: fc.integer({ min: 1, max: 50 }),
        // Where the warm-up started reading each partition.
        starts: fc.array(fc.nat({ max: 3 }), { minLength: 3, maxLength: 3 }),
        frontier: fc.array(fc.nat({ max: 20 }), { minLength: 3, maxLength: 3 }),
      })
      .map((s) => ({ ...s, frontier: s.frontier.map((f, p) => Math.min(f, s.starts[p]! + s.order.filter((x) => x === p).length)) }));
    fc.assert(
      fc.property(scenario, ({ order, capacity, starts, frontier }) => {
        const index = new PositionIndex({ capacity, maxAgeMs: 60_000 });
        index.seed(new Map(partitions.map((key, p) => [key, starts[p]!])));
        const next = [...starts];
        // Each partition handled in offset order, the partitions interleaved as `order` says; seq from 1.
        const handled = order.map((p, i) => ({ p, offset: next[p]!++, seq: i + 1 }));
        for (const r of handled) index.record(`id${r.seq}`, partitions[r.p]!, r.offset, r.seq);
        const evicted = handled.slice(0, Math.max(0, handled.length - capacity));
        const kept = handled.slice(evicted.length);
        const notSent = (r: { p: number; offset: number }) => r.offset >= frontier[r.p]!;
        // Behind on a partition from before the warm-up's start: those records were never handled here.
        const beforeStart = frontier.some((f, p) => f < starts[p]! && next[p]! > f);
        const expected = beforeStart || evicted.some(notSent) ? undefined : (kept.find(notSent)?.seq ?? null);
        expect(index.firstNotSent(new Map(partitions.map((key, p) => [key, frontier[p]!])))).toBe(expected);
      }),
      { numRuns: 1000 },
    );
  });
});
