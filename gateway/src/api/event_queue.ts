import { subscriberTooSlow } from '../errors';

/**
 * A bounded queue between a synchronous producer (the hub's deliver) and an async consumer (a
 * subscription generator). Bounded by count and by bytes: a client that stops reading holds at
 * most `maxBytes` of the gateway's memory (the WebSocket doors' WS_SEND_QUEUE_BYTES default), not
 * `capacity` events of any size. Overflow ends the stream instead of growing without limit: the
 * client resumes from its last event id.
 */
export class EventQueue<T> {
  private readonly items: { item: T; bytes: number }[] = [];
  private bytes = 0;
  private waiter: (() => void) | undefined;
  private overflowed = false;

  constructor(
    private readonly capacity: number,
    private readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {}

  /** `bytes`: what the item weighs (its encoded size), counted against `maxBytes` until it is taken. */
  push(item: T, bytes = 0): void {
    if (this.overflowed) return;
    if (this.items.length >= this.capacity || this.bytes + bytes > this.maxBytes) {
      this.overflowed = true;
      this.items.length = 0;
      this.bytes = 0;
    } else {
      this.items.push({ item, bytes });
      this.bytes += bytes;
    }
    this.wake();
  }

  /** The next item; undefined when `signal` aborted. Throws SUBSCRIBER_TOO_SLOW once the queue overflowed. */
  async next(signal: AbortSignal | undefined): Promise<T | undefined> {
    while (this.items.length === 0) {
      if (this.overflowed) throw subscriberTooSlow();
      if (signal?.aborted) return undefined;
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        signal?.addEventListener('abort', () => resolve(), { once: true });
      });
      this.waiter = undefined;
    }
    const next = this.items.shift()!;
    this.bytes -= next.bytes;
    return next.item;
  }

  private wake(): void {
    this.waiter?.();
  }
}
