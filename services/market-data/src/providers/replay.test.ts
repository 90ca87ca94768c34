import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { Tick } from '../tick';
import { ReplayProvider, type ReplayFeedOptions } from './replay';

// The pace is read from the waits the provider asks for, on a clock that stands still, not from a
// stopwatch that a busy machine stretches.
const waits = vi.hoisted(() => [] as number[]);
vi.mock('node:timers/promises', async (importOriginal) => ({
  ...(await importOriginal<typeof import('node:timers/promises')>()),
  setTimeout: async (ms: number) => void waits.push(ms),
}));

const dir = mkdtempSync(join(tmpdir(), 'md-replay-'));
const T0 = Date.UTC(2024, 0, 2, 10);

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function play(options: Partial<ReplayFeedOptions> & { path: string }): Promise<{ ticks: Tick[]; provider: ReplayProvider }> {
  const ticks: Tick[] = [];
  let ended!: () => void;
  const done = new Promise<void>((r) => (ended = r));
  const provider = new ReplayProvider({ speed: 0, rebase: false, loop: false, symbols: [], ...options, onEnd: () => ended() });
  await provider.start((t) => ticks.push(t));
  await done;
  return { ticks, provider };
}

describe('ReplayProvider', () => {
  it('plays a CSV file with its header in any column order, keeping recorded times', async () => {
    const path = file(
      'a.csv',
      `time,symbol,price,bid,ask,volume\n${T0},AAPL,190.5,190.4,190.6,100\n${new Date(T0 + 500).toISOString()},MSFT,420,419.9,420.1,5\n`,
    );
    const { ticks } = await play({ path });
    expect(ticks).toEqual([
      { symbol: 'AAPL', price: 190.5, bid: 190.4, ask: 190.6, volume: 100, timeMs: T0, provider: 'replay' },
      { symbol: 'MSFT', price: 420, bid: 419.9, ask: 420.1, volume: 5, timeMs: T0 + 500, provider: 'replay' },
    ]);
  });

  it('plays NDJSON, skips symbols not asked for and counts bad lines as failures', async () => {
    const path = file(
      'b.ndjson',
      [
        JSON.stringify({ symbol: 'AAPL', price: 1, time: T0 }),
        'garbage',
        JSON.stringify({ symbol: 'TSLA', price: 2, time: T0 + 1 }),
        JSON.stringify({ symbol: 'AAPL', price: 3, volume: 7, time: new Date(T0 + 2).toISOString() }),
      ].join('\n'),
    );
    const { ticks, provider } = await play({ path, symbols: ['AAPL'] });
    expect(ticks.map((t) => [t.price, t.bid, t.ask, t.volume])).toEqual([
      [1, 1, 1, 0],
      [3, 3, 3, 7],
    ]);
    expect(provider.stats()).toMatchObject({ failures: 1, ticks: 2 });
  });

  it('keeps the recorded pace divided by the speed factor', async () => {
    const lines = [0, 200, 400].map((ms, i) => JSON.stringify({ symbol: 'AAPL', price: 10 + i, time: T0 + ms }));
    const now = vi.spyOn(Date, 'now').mockReturnValue(T0);
    waits.length = 0;
    try {
      await play({ path: file('c.ndjson', lines.join('\n')), speed: 2 });
    } finally {
      now.mockRestore();
    }
    // Records 200 and 400 ms after the first are due 100 and 200 ms after it at speed 2.
    expect(waits).toEqual([100, 200]);
  });

  it('rebases recorded times to now when asked', async () => {
    const before = Date.now();
    const lines = [0, 1000].map((ms) => JSON.stringify({ symbol: 'AAPL', price: 10, time: T0 + ms }));
    const { ticks } = await play({ path: file('d.ndjson', lines.join('\n')), rebase: true });
    expect(ticks[0].timeMs).toBeGreaterThanOrEqual(before);
    expect(ticks[1].timeMs - ticks[0].timeMs).toBe(1000);
  });
});
