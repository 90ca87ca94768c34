import { randomUUID } from 'node:crypto';
import type { Logger } from '@marketpulse/runtime';
import type { ClaimedDelivery, DeliveryStore } from '../store/delivery_store';
import type { AttemptReport, AttemptRunner } from './attempt_runner';
import { AttemptSlots } from './attempt_slots';
import { InFlightAllowance } from './in_flight_allowance';
import { OwnerInFlight } from './owner_in_flight';

/** PostgreSQL's SQLSTATE for an insert whose referenced row is gone. */
const FOREIGN_KEY_VIOLATION = '23503';

export interface DeliveryWorkerOptions {
  /** Deliveries that hold a worker at once in this process (WEBHOOK_WORKERS); see AttemptSlots. */
  concurrency: number;
  /** After this long without an answer an attempt gives its worker back (WEBHOOK_SLOW_ATTEMPT_MS). */
  slowAttemptMs: number;
  /** Attempts waiting that way at once (WEBHOOK_MAX_WAITING_ATTEMPTS). */
  maxWaitingAttempts: number;
  /** The most deliveries to one endpoint in flight at once in this process (WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT); see InFlightAllowance. */
  perEndpoint: number;
  /** The most deliveries of one endpoint owner in flight at once in this process (WEBHOOK_MAX_IN_FLIGHT_PER_USER); see OwnerInFlight. */
  perOwner: number;
  leaseMs: number;
  /** How often an idle worker looks for due deliveries (retries, other replicas' intake). */
  pollMs: number;
}

/**
 * Claims due deliveries and runs their attempts, up to `concurrency` holding a worker at a time
 * (and up to `maxWaitingAttempts` slow ones waiting beside them). It polls, and wakes early when
 * this process's intake has written new deliveries.
 */
export class DeliveryWorker {
  private readonly slots: AttemptSlots;
  private readonly allowance: InFlightAllowance;
  private readonly owners: OwnerInFlight;
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private wakeRequested = false;
  private readonly attempts = new Set<Promise<unknown>>();

  constructor(
    private readonly deliveries: DeliveryStore,
    private readonly runner: AttemptRunner,
    private readonly options: DeliveryWorkerOptions,
    private readonly logger: Logger,
  ) {
    this.allowance = new InFlightAllowance(options.perEndpoint);
    this.owners = new OwnerInFlight(options.perOwner);
    this.slots = new AttemptSlots({
      workers: options.concurrency,
      slowAfterMs: options.slowAttemptMs,
      maxWaiting: options.maxWaitingAttempts,
      onFreed: () => this.wake(),
      onFull: (waiting) =>
        logger.warn(
          { event: 'webhook.waiting_attempts_full', waiting },
          `${waiting} slow webhook attempts are waiting for their answers (WEBHOOK_MAX_WAITING_ATTEMPTS); further slow ones hold their workers until one ends`,
        ),
    });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** New work may be due: claim now instead of at the next poll. */
  wake(): void {
    this.wakeRequested = true;
    this.wakeUp?.();
  }

  /** Stops claiming and waits for the attempts in flight; anything unfinished is reclaimed after its lease. */
  async close(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    await Promise.allSettled([...this.attempts]);
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      const free = this.slots.free;
      let claimedAll = false;
      if (free > 0) {
        try {
          const claims = await this.deliveries.claimDue(free, this.options.leaseMs, randomUUID(), {
            ...this.allowance.cap(),
            ...this.owners.cap(),
          });
          for (const claim of claims) this.track(claim, this.runner.run(claim));
          claimedAll = claims.length === free;
          failures = 0;
        } catch (err) {
          failures += 1;
          // The database is away: back off so the log and the database are not flooded; leases keep the work safe.
          if (failures === 1 || failures % 20 === 0) this.logger.error({ err, failures }, 'claiming due deliveries failed; retrying');
        }
      }
      if (!this.running) break;
      // A full batch means more may be due: go again as soon as a slot frees (the tracker wakes us).
      if (claimedAll && this.slots.free > 0) continue;
      await this.sleep(failures > 0 ? Math.min(5000, this.options.pollMs * 2 ** Math.min(failures, 5)) : this.options.pollMs);
    }
  }

  private track({ id, endpoint_id: endpointId, owner_id: owner }: ClaimedDelivery, attempt: Promise<AttemptReport | null>): void {
    const slot = this.slots.take();
    this.allowance.started(endpointId);
    this.owners.started(owner);
    const tracked = attempt
      .then(
        (report) => this.allowance.finished(endpointId, report === null ? 'no_attempt' : report.timedOut ? 'timed_out' : 'in_time'),
        (err: unknown) => {
          this.allowance.finished(endpointId, 'no_attempt');
          // The endpoint was deleted while its request was out, and its deliveries with it (ON DELETE
          // CASCADE): there is nothing to record or retry. An ordinary delete is no error for an SRE.
          if ((err as { code?: unknown } | null)?.code === FOREIGN_KEY_VIOLATION) {
            this.logger.info(
              { event: 'webhook.attempt_after_delete', endpoint_id: endpointId, delivery_id: id },
              'an attempt ended after its endpoint was deleted; nothing to record',
            );
            return;
          }
          this.logger.error({ err }, 'a delivery attempt could not be recorded; the delivery is retried after its lease');
        },
      )
      .finally(() => {
        this.slots.release(slot);
        this.owners.finished(owner);
        this.attempts.delete(tracked);
        this.wake();
      });
    this.attempts.add(tracked);
  }

  private sleep(ms: number): Promise<void> {
    if (this.wakeRequested) {
      this.wakeRequested = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        this.wakeRequested = false;
        done();
      };
    });
  }
}
