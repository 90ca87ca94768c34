/**
 * A bounded queue between a synchronous producer (the hub's deliver) and an async consumer (a
 * subscription generator). Overflow ends the stream instead of growing without limit: the client
 * resumes from its last event id.
 */
export class EventQueue<T> {
  private readonly items: T[] = [];
  private waiter: (() => void) | undefined;
  private overflowed = false;

  constructor(private readonly capacity: number) {}

  push(item: T): void {
    if (this.overflowed) return;
    if (this.items.length >= this.capacity) {
      this.overflowed = true;
    } else {
      this.items.push(item);
    }
    this.wake();
  }

  /** The next item; undefined when `signal` aborted. Throws once the queue overflowed. */
  async next(signal: AbortSignal | undefined): Promise<T | undefined> {
    while (this.items.length === 0) {
      if (this.overflowed) throw new Error('subscriber too slow: events were dropped; resubscribe with the last event id');
      if (signal?.aborted) return undefined;
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        signal?.addEventListener('abort', () => resolve(), { once: true });
      });
      this.waiter = undefined;
    }
    return this.items.shift();
  }

  private wake(): void {
    this.waiter?.();
  }
}
