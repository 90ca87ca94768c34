import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '@marketpulse/runtime';
import { Scheduler } from './scheduler';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Polls until `done` holds (a busy machine only makes this take longer), for at most 20 s. */
async function until(done: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 20_000; !done(); await sleep(5)) {
    if (Date.now() > deadline) throw new Error('timed out');
  }
}
let scheduler: Scheduler;
afterEach(() => scheduler?.stop());

describe('Scheduler', () => {
  it('runs jobs on their interval and reports their status', async () => {
    scheduler = new Scheduler();
    let runs = 0;
    scheduler.add({ id: 'tick', name: 'Tick', interval_ms: 40, run: async () => void runs++ });
    scheduler.start();
    await until(() => runs >= 2);
    const [job] = scheduler.status().jobs;
    expect(job).toMatchObject({ id: 'tick', interval_seconds: 0.04, last_status: 'success', run_count: runs });
    expect(job.next_run).toBeDefined();
  });

  it('runs a triggered job at once, long before its interval', async () => {
    scheduler = new Scheduler();
    let runs = 0;
    scheduler.add({ id: 'slow', name: 'Slow', interval_ms: 3_600_000, run: async () => void runs++ });
    scheduler.start();
    const status = await scheduler.trigger('slow');
    expect(runs).toBe(1);
    expect(status).toMatchObject({ run_count: 1, last_status: 'success' });
  });

  it('records failures without stopping the job and never overlaps a run', async () => {
    const errors: string[] = [];
    scheduler = new Scheduler((id) => errors.push(id));
    let concurrent = 0;
    let maxConcurrent = 0;
    scheduler.add({
      id: 'flaky',
      name: 'Flaky',
      interval_ms: 1_000_000,
      run: async () => {
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        await sleep(20);
        concurrent--;
        throw new Error('upstream down');
      },
    });
    await Promise.all([scheduler.trigger('flaky'), scheduler.trigger('flaky')]);
    expect(maxConcurrent).toBe(1);
    expect(scheduler.status().jobs[0]).toMatchObject({ run_count: 1, error_count: 1, last_status: 'error', last_error: 'upstream down' });
    expect(errors).toEqual(['flaky']);
  });

  it('runs a trigger that arrives during a scheduled run once that run ends, as a triggered run', async () => {
    scheduler = new Scheduler();
    const runs: boolean[] = [];
    let release: () => void = () => {};
    const hold = new Promise<void>((r) => (release = r));
    scheduler.add({
      id: 'checks',
      name: 'Checks',
      interval_ms: 30,
      run: async ({ triggered }) => {
        runs.push(triggered);
        if (!triggered) await hold;
      },
    });
    scheduler.start();
    await until(() => runs.length > 0);
    expect(runs).toEqual([false]);
    // Two triggers while the scheduled run holds: one triggered run after it, shared by both.
    const both = Promise.all([scheduler.trigger('checks'), scheduler.trigger('checks')]);
    await sleep(20);
    expect(runs).toEqual([false]);
    release();
    await both;
    // Later scheduled runs may follow; the triggered one came first, and only once.
    expect(runs.slice(0, 2)).toEqual([false, true]);
    expect(runs.filter((triggered) => triggered)).toHaveLength(1);
  });

  it('refuses an unknown job with the known ones listed', async () => {
    scheduler = new Scheduler();
    scheduler.add({ id: 'a', name: 'A', interval_ms: 1000, run: async () => {} });
    await expect(scheduler.trigger('b')).rejects.toThrow(AppError);
    await expect(scheduler.trigger('b')).rejects.toThrow('known jobs: a');
  });
});
