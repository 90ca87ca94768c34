import { afterEach, describe, expect, it, vi } from 'vitest';
import { OffsetCommitter, type PartitionOffset } from './offset_committer';

function committer(options: { everyRecords?: number; everyMs?: number; commit?: (o: PartitionOffset[]) => Promise<void> } = {}) {
  const commits: PartitionOffset[][] = [];
  const errors: unknown[] = [];
  const c = new OffsetCommitter(
    options.commit ?? (async (offsets) => void commits.push(offsets)),
    { everyRecords: options.everyRecords ?? 1000, everyMs: options.everyMs ?? 500 },
    (err) => errors.push(err),
  );
  return { c, commits, errors };
}

describe('OffsetCommitter', () => {
  afterEach(() => vi.useRealTimers());

  it('commits the next offset after the latest handled record of each partition, in one request', async () => {
    const { c, commits } = committer();
    c.handled('t', 0, '4');
    c.handled('t', 0, '5');
    c.handled('t', 1, '9');
    c.handled('u', 0, '0');
    await c.flush();
    expect(commits).toEqual([
      [
        { topic: 't', partition: 0, offset: '6' },
        { topic: 't', partition: 1, offset: '10' },
        { topic: 'u', partition: 0, offset: '1' },
      ],
    ]);
  });

  it('commits on its own after the time cadence, not once per record', async () => {
    vi.useFakeTimers();
    const { c, commits } = committer({ everyMs: 500 });
    for (let i = 0; i < 50; i++) c.handled('t', 0, String(i));
    await vi.advanceTimersByTimeAsync(499);
    expect(commits).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(commits).toEqual([[{ topic: 't', partition: 0, offset: '50' }]]);
  });

  it('commits at once when enough records were handled, keeping one commit in flight', async () => {
    let release: () => void = () => undefined;
    const sent: PartitionOffset[][] = [];
    const { c } = committer({
      everyRecords: 3,
      everyMs: 60_000,
      commit: (offsets) => {
        sent.push(offsets);
        return new Promise<void>((r) => (release = r));
      },
    });
    for (let i = 0; i < 3; i++) c.handled('t', 0, String(i));
    await Promise.resolve();
    expect(sent).toEqual([[{ topic: 't', partition: 0, offset: '3' }]]);
    for (let i = 3; i < 9; i++) c.handled('t', 0, String(i));
    await Promise.resolve();
    expect(sent).toHaveLength(1);
    release();
    await vi.waitFor(() => expect(sent).toHaveLength(2));
    expect(sent[1]).toEqual([{ topic: 't', partition: 0, offset: '9' }]);
    release();
    await c.flush();
  });

  it('reports a failed commit and commits the same partition again with later records', async () => {
    let fail = true;
    const sent: PartitionOffset[][] = [];
    const { c, errors } = committer({
      commit: async (offsets) => {
        sent.push(offsets);
        if (fail) throw new Error('REBALANCE_IN_PROGRESS');
      },
    });
    c.handled('t', 0, '1');
    await c.flush();
    expect(errors).toHaveLength(1);
    fail = false;
    c.handled('t', 0, '2');
    await c.flush();
    expect(sent.at(-1)).toEqual([{ topic: 't', partition: 0, offset: '3' }]);
  });

  it('forgets partitions no longer owned after a rebalance, and everything on discard', async () => {
    const { c, commits } = committer();
    c.handled('t', 0, '1');
    c.handled('t', 1, '1');
    c.retainOnly((_topic, partition) => partition === 1);
    await c.flush();
    expect(commits).toEqual([[{ topic: 't', partition: 1, offset: '2' }]]);
    c.handled('t', 1, '2');
    c.discard();
    await c.flush();
    expect(commits).toHaveLength(1);
  });
});
