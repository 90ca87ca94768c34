import { predictionError } from '../errors';

/** Trainings one process runs at once; the rest wait their turn. */
export const TRAININGS_AT_ONCE = 1;
/** Trainings that may wait for a turn; one more is refused (TRAINING_BUSY). */
export const TRAININGS_WAITING = 4;

/**
 * Takes turns for trainings. A grid search is 171 passes over up to 20,000 ticks: run as many at
 * once as were asked, a helper's 10 a second (the gateway's rate limit) took 19.5 CPU-s in 23 s and
 * every other caller's prediction waited up to 2 s; the trainings finished long after their
 * callers had stopped waiting. Now one runs, a few wait, and the rest are told to come back.
 */
export class TrainingGate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= TRAININGS_AT_ONCE) {
      if (this.waiting.length >= TRAININGS_WAITING) {
        throw predictionError(
          'TRAINING_BUSY',
          `${TRAININGS_AT_ONCE + TRAININGS_WAITING} trainings are running or waiting on this instance; try again when one has finished`,
          { running: this.active, waiting: this.waiting.length },
        );
      }
      await new Promise<void>((turn) => this.waiting.push(turn));
    } else {
      this.active += 1;
    }
    try {
      return await work();
    } finally {
      // The turn passes straight to the next in line, so `active` never dips for a newcomer to jump in.
      const next = this.waiting.shift();
      if (next) next();
      else this.active -= 1;
    }
  }
}
