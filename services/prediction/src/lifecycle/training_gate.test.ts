import { describe, expect, it } from 'vitest';
import { AppError } from '@marketpulse/runtime';
import { TRAININGS_AT_ONCE, TRAININGS_WAITING, TrainingGate } from './training_gate';

describe('TrainingGate', () => {
  it('runs one training at a time, lets a few wait, and refuses the rest with TRAINING_BUSY', async () => {
    const gate = new TrainingGate();
    let running = 0;
    let most = 0;
    const releases: (() => void)[] = [];
    const work = () =>
      new Promise<number>((done) => {
        running += 1;
        most = Math.max(most, running);
        releases.push(() => {
          running -= 1;
          done(running);
        });
      });
    const asked = Array.from({ length: TRAININGS_AT_ONCE + TRAININGS_WAITING + 3 }, () => gate.run(work));
    const settled = Promise.allSettled(asked);
    // Let the refusals and the first turn happen, then finish the trainings one by one.
    for (let i = 0; i < TRAININGS_AT_ONCE + TRAININGS_WAITING; i++) {
      await new Promise((r) => setImmediate(r));
      releases.shift()?.();
    }
    const results = await settled;
    expect(most).toBe(TRAININGS_AT_ONCE);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(TRAININGS_AT_ONCE + TRAININGS_WAITING);
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as AppError] : []));
    expect(refused).toHaveLength(3);
    for (const e of refused) expect(e).toMatchObject({ reason: 'TRAINING_BUSY' });
    // Turns are not lost to a failure: the gate is free again.
    await expect(gate.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(gate.run(async () => 7)).resolves.toBe(7);
  });
});
