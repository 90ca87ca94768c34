import { randomUUID } from 'node:crypto';
import type { Logger } from '@marketpulse/runtime';
import type { DeliveryStore } from '../store/delivery_store';
import type { AttemptRunner } from './attempt_runner';

export interface DeliveryWorkerOptions {
  /** Deliveries in flight at once in this process. */
  concurrency: number;
  /** Deliveries to one endpoint in flight at once in this process (WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT). */
  perEndpoint: number;
  leaseMs: number;
  /** How often an idle worker looks for due deliveries (retries, other replicas' intake). */
  pollMs: number;
}

/**
 * Claims due deliveries and runs their attempts, up to `concurrency` at a time. It polls, and
 * wakes early when this process's intake has written new deliveries.
 */
export class DeliveryWorker {
  private inFlight = 0;
  /** In flight per endpoint: what the claim leaves out once an endpoint is at `perEndpoint`. */
  private readonly byEndpoint = new Map<string, number>();
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
  ) {}

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
      const free = this.options.concurrency - this.inFlight;
      let claimedAll = false;
      if (free > 0) {
        try {
          const claims = await this.deliveries.claimDue(free, this.options.leaseMs, randomUUID(), {
            max: this.options.perEndpoint,
            busy: this.byEndpoint,
          });
          for (const claim of claims) this.track(claim.endpoint_id, this.runner.run(claim));
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
      if (claimedAll && this.inFlight < this.options.concurrency) continue;
      await this.sleep(failures > 0 ? Math.min(5000, this.options.pollMs * 2 ** Math.min(failures, 5)) : this.options.pollMs);
    }
  }

  private track(endpointId: string, attempt: Promise<unknown>): void {
    this.inFlight += 1;
    this.byEndpoint.set(endpointId, (this.byEndpoint.get(endpointId) ?? 0) + 1);
    const tracked = attempt
      .catch((err: unknown) =>
        this.logger.error({ err }, 'a delivery attempt could not be recorded; the delivery is retried after its lease'),
      )
      .finally(() => {
        this.inFlight -= 1;
        const left = (this.byEndpoint.get(endpointId) ?? 1) - 1;
        if (left > 0) this.byEndpoint.set(endpointId, left);
        else this.byEndpoint.delete(endpointId);
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
