import { describe, expect, it } from 'vitest';
import { WriteBatcher } from './write_batcher';

describe('WriteBatcher', () => {
  it('writes concurrent items in one batch and later ones in the next, each caller getting its own result', async () => {
    const batches: number[][] = [];
    const batcher = new WriteBatcher(async (items: number[]) => {
      batches.push(items);
      await new Promise((r) => setTimeout(r, 10));
      return items.map((n) => n * 2);
    }, 100);
    const first = [1, 2, 3].map((n) => batcher.write(n));
    await new Promise((r) => setTimeout(r, 2));
    const second = [4, 5].map((n) => batcher.write(n));
    expect(await Promise.all([...first, ...second])).toEqual([2, 4, 6, 8, 10]);
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('rejects every item of a failed batch and keeps writing later ones', async () => {
    const batcher = new WriteBatcher(async (items: string[]) => {
      if (items.includes('a')) throw new Error('database away');
      return items;
    }, 2);
    const results = ['a', 'b', 'c'].map((s) => batcher.write(s).catch((err: Error) => err.message));
    expect(await Promise.all(results)).toEqual(['database away', 'database away', 'c']);
    expect(await batcher.write('d')).toBe('d');
  });

  it("writes a batch that failed on one item's data item by item, so only that item fails", async () => {
    const batches: string[][] = [];
    const refused = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });
    const batcher = new WriteBatcher(
      async (items: string[]) => {
        batches.push(items);
        if (items.some((s) => s.includes('\u0000'))) throw refused;
        return items.map((s) => s.toUpperCase());
      },
      10,
      (err) => (err as { code?: string }).code === '22021',
    );
    const results = ['a', 'b\u0000', 'c'].map((s) => batcher.write(s).catch((err: Error) => `refused: ${err.message}`));
    expect(await Promise.all(results)).toEqual(['A', `refused: ${refused.message}`, 'C']);
    expect(batches).toEqual([['a', 'b\u0000', 'c'], ['a'], ['b\u0000'], ['c']]);
  });
});
