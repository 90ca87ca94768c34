/**
 * Open tRPC subscriptions per user (TRPC_MAX_SUBSCRIPTIONS_PER_USER). Each holds a hub subscriber
 * and up to 1 MiB of events its client has not read; bounded only by the rate limit, one
 * credential opened hundreds (500 paused streams of one token slowed /info to 2–10 s). Counted by
 * user rather than by connection, since one client's SSE streams need not share a connection.
 */
export class SubscriptionSlots {
  private readonly open = new Map<string, number>();

  constructor(readonly perUser: number) {}

  /** Takes one of `userId`'s slots; false, and nothing taken, when it already holds perUser. */
  take(userId: string): boolean {
    const held = this.open.get(userId) ?? 0;
    if (held >= this.perUser) return false;
    this.open.set(userId, held + 1);
    return true;
  }

  /** Gives back a slot `take` gave; once per slot. */
  release(userId: string): void {
    const left = (this.open.get(userId) ?? 1) - 1;
    if (left <= 0) this.open.delete(userId);
    else this.open.set(userId, left);
  }
}
