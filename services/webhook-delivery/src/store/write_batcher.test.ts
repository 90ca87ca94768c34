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
    expect(batches).toEqual([[1, 2, 3], [4, 5]]);
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
});
