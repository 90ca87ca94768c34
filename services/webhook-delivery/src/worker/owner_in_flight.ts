import type { OwnerCap } from '../store/delivery_store';

/**
 * How many deliveries of each endpoint owner this process has in flight, so that one user's
 * endpoints cannot hold every worker: each endpoint may hold little (InFlightAllowance), but one
 * user may have WEBHOOK_MAX_ENDPOINTS_PER_USER of them. Holds owners with something in flight only,
 * so it is bounded by the workers.
 */
export class OwnerInFlight {
  private readonly owners = new Map<string, number>();

  constructor(private readonly perOwner: number) {}

  started(owner: string): void {
    this.owners.set(owner, (this.owners.get(owner) ?? 0) + 1);
  }

  finished(owner: string): void {
    const n = this.owners.get(owner);
    if (n === undefined) return;
    if (n <= 1) this.owners.delete(owner);
    else this.owners.set(owner, n - 1);
  }

  cap(): OwnerCap {
    return { perOwner: this.perOwner, owners: this.owners };
  }
}
