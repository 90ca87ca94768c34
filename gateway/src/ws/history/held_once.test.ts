import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ANONYMOUS, type Principal } from '../../auth';
import { HubHistory, type Publication } from '../history';
import { Hub, type PublicationInput } from '../hub';
import { typeChannel } from './type_channel';

// Issue 19, "history written once": a publication on `market-data:AAPL`, `events` and its type's
// channel is held once by the hub's history, with one id index; each channel keeps a window over it
// with the same answers per channel as when each channel kept a history of its own.

const reader: Principal = { ...ANONYMOUS, userId: 'u1', method: 'jwt', channels: ['*'], scopes: ['read'] };

function input(id: string, subject = 'AAPL', type = 'market_data_update'): PublicationInput {
  return { id, type, source: 'test', subject, owner: '', time: '2024-01-01T00:00:00Z', traceId: '', data: {} };
}

const tick = (hub: Hub, id: string, symbol: string) => hub.publish([`market-data:${symbol}`, 'events'], input(id, symbol));

function pub(id: string, seq: number): Publication {
  return { ...input(id), seq, channels: ['events'] };
}

describe('history written once', () => {
  it('holds a publication on three channels once, and lets its id go only when the last window evicted it', () => {
    const hub = new Hub(2);
    tick(hub, 'e1', 'AAPL');
    expect([hub.heldPublications(), hub.historySizes()]).toEqual([1, 3]);
    // MSFT ticks push e1 out of `events` and the type channel; AAPL's window still holds it.
    tick(hub, 'm1', 'MSFT');
    tick(hub, 'm2', 'MSFT');
    expect([hub.heldPublications(), hub.historySizes()]).toEqual([3, 7]);
    expect(hub.recover(['events'], 'e1', reader)).toEqual({ recovered: false });
    expect(hub.recover(['market-data:AAPL'], 'e1', reader)).toEqual({ recovered: true, publications: [] });
    // A redelivery is dropped on every channel while one window still holds its id.
    expect(tick(hub, 'e1', 'AAPL')).toBeNull();
    tick(hub, 'a1', 'AAPL');
    tick(hub, 'a2', 'AAPL');
    // m1 and m2 (MSFT's window), a1 and a2: e1 is held nowhere, so its redelivery is new again.
    expect(hub.heldPublications()).toBe(4);
    expect(hub.recover(['market-data:AAPL'], 'e1', reader)).toEqual({ recovered: false });
    expect(tick(hub, 'e1', 'AAPL')?.id).toBe('e1');
    expect(hub.stats().duplicates_dropped).toBe(1);
  });

  it("answers for an id per window: eviction by age or count on one channel does not change another's answer", () => {
    let now = 0;
    const history = new HubHistory(2, 1000, () => now);
    const [a, b] = [history.window(), history.window()];
    const p1 = history.entry(pub('p1', 1));
    a.append(p1);
    b.append(p1);
    now = 1500;
    a.append(history.entry(pub('p2', 2)));
    // a expired p1 at its append; b is expired when next written or read, as before.
    expect([a.has('p1'), b.has('p1'), b.get('p1')?.seq, history.size]).toEqual([false, true, 1, 2]);
    b.expire();
    expect([b.has('p1'), b.evictedSeq, history.size, history.find('p1')]).toEqual([false, 1, 1, undefined]);
    for (const [id, seq] of [['p3', 3] as const, ['p4', 4] as const]) a.append(history.entry(pub(id, seq)));
    expect([a.has('p2'), a.evictedSeq, a.after(0).map((p) => p.id), history.size]).toEqual([false, 2, ['p3', 'p4'], 2]);
  });

  it('lets go of what a channel dropped by the sweep held (WS_HUB_MAX_IDLE_CHANNELS)', () => {
    const hub = new Hub(3, () => {}, Infinity, 10);
    for (let i = 0; i < 200; i++) tick(hub, `z${i}`, `ZZZ${i}`);
    // Each kept ZZZ channel holds its one tick; `events` and the type channel hold the newest three of them.
    expect(hub.heldPublications()).toBe(hub.stats().channels - 2);
    expect(hub.heldPublications()).toBeLessThan(12);
  });

  it('gives the answers of one history per channel, on any sequence of publications and redeliveries', () => {
    const names = ['a', 'b', 'c'];
    const op = fc.record({
      id: fc.constantFrom('x1', 'x2', 'x3', 'x4', 'x5'),
      channels: fc.subarray(names, { minLength: 1 }),
      type: fc.constantFrom('t1', 't2'),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const capacity = 3;
        const hub = new Hub(capacity);
        // The model: each channel's own last `capacity` publications, as before the shared history.
        const windows = new Map<string, { id: string; seq: number }[]>();
        const evicted = new Map<string, number>();
        let seq = 0;
        const all = [...names, typeChannel('t1'), typeChannel('t2')];
        for (const { id, channels, type } of ops) {
          const targets = [...channels, typeChannel(type)];
          const duplicate = targets.some((name) => windows.get(name)?.some((p) => p.id === id));
          expect(hub.publish(channels, input(id, 'AAPL', type)) === null).toBe(duplicate);
          if (!duplicate) {
            seq++;
            for (const name of targets) {
              const window = windows.get(name) ?? [];
              window.push({ id, seq });
              if (window.length > capacity) evicted.set(name, window.shift()!.seq);
              windows.set(name, window);
            }
          }
          const held = new Set([...windows.values()].flat().map((p) => p.seq));
          expect([hub.heldPublications(), hub.historySizes()]).toEqual([held.size, [...windows.values()].flat().length]);
          for (const name of all) {
            for (const sinceId of ['x1', 'x2', 'x3', 'x4', 'x5']) {
              const since = windows.get(name)?.find((p) => p.id === sinceId);
              const expected = since
                ? {
                    recovered: true,
                    publications: windows
                      .get(name)!
                      .filter((p) => p.seq > since.seq)
                      .map((p) => p.seq),
                  }
                : { recovered: false };
              const got = hub.recover([name], sinceId, reader);
              expect(got.recovered ? { recovered: true, publications: got.publications.map((p) => p.seq) } : got).toEqual(expected);
            }
            expect(hub.newestSeq([name])).toBe(windows.get(name)?.at(-1)?.seq ?? 0);
          }
          // Across channels: from where the first channel holding the id has it, unless one evicted what followed.
          for (const sinceId of ['x1', 'x2', 'x3', 'x4', 'x5']) {
            const since = all.map((name) => windows.get(name)?.find((p) => p.id === sinceId)).find((p) => p !== undefined);
            const lost = since === undefined || all.some((name) => (evicted.get(name) ?? 0) > since.seq);
            const missed = [...new Set([...windows.values()].flat().map((p) => p.seq))].filter((s) => s > (since?.seq ?? 0));
            const got = hub.recover(all, sinceId, reader);
            expect(got.recovered ? got.publications.map((p) => p.seq) : 'lost').toEqual(lost ? 'lost' : missed.sort((x, y) => x - y));
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
