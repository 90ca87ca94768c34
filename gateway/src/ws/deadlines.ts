/** Something with at most one pending deadline; the field belongs to the Deadlines holding it. */
export interface Timed {
  /** Position in the holder's heap; -1 when not held. */
  deadlineSlot: number;
  onDeadline(): void;
}

/** setTimeout's largest delay; later deadlines are re-armed when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * One timer for any number of deadlines (auth timeouts, credential expiries): a binary min-heap
 * ordered by due time, the timer armed for its root. A per-connection setTimeout would cost each
 * connection a Timeout object and a closure; here its owner holds one small integer (its slot),
 * and one far in the future (an API key expiring in a year) is held like any other. The due times
 * live here, in an array of doubles beside the heap: on the owner, an epoch time would be a boxed
 * number of its own (16 bytes per connection, deadline or not).
 */
export class Deadlines {
  private readonly heap: Timed[] = [];
  /** Due time (epoch ms) of the item in the same slot of `heap`. */
  private readonly due: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Due time the timer is armed for; Infinity when it is not armed. */
  private armedFor = Infinity;

  constructor(private readonly now: () => number = Date.now) {}

  get size(): number {
    return this.heap.length;
  }

  /** Sets (or moves) `item`'s deadline to `at`; Infinity clears it. */
  set(item: Timed, at: number): void {
    if (at === Infinity) return this.clear(item);
    let slot = item.deadlineSlot;
    if (slot < 0) {
      slot = item.deadlineSlot = this.heap.length;
      this.heap.push(item);
      this.due.push(Infinity);
    }
    const earlier = at < this.due[slot]!;
    this.due[slot] = at;
    if (earlier) this.up(slot);
    else this.down(slot);
    this.arm();
  }

  clear(item: Timed): void {
    const slot = item.deadlineSlot;
    if (slot < 0) return;
    item.deadlineSlot = -1;
    const last = this.heap.pop()!;
    const lastDue = this.due.pop()!;
    if (slot < this.heap.length) {
      this.heap[slot] = last;
      this.due[slot] = lastDue;
      last.deadlineSlot = slot;
      this.up(slot);
      this.down(last.deadlineSlot);
    }
    // The timer stays armed: when it fires early it finds nothing due and re-arms for the root.
  }

  /** Drops every deadline and the timer (gateway shutdown). */
  stop(): void {
    for (const item of this.heap) item.deadlineSlot = -1;
    this.heap.length = 0;
    this.due.length = 0;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  private arm(): void {
    if (this.heap.length === 0) return;
    const at = this.due[0]!;
    if (at >= this.armedFor) return;
    clearTimeout(this.timer);
    this.armedFor = at;
    this.timer = setTimeout(this.fire, Math.min(MAX_TIMER_MS, Math.max(0, at - this.now())));
    this.timer.unref();
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = this.now();
    while (this.heap.length > 0 && this.due[0]! <= now) {
      const root = this.heap[0]!;
      this.clear(root);
      root.onDeadline();
    }
    this.arm();
  };

  private up(slot: number): void {
    const { heap, due } = this;
    const item = heap[slot]!;
    const at = due[slot]!;
    while (slot > 0) {
      const parentSlot = (slot - 1) >> 1;
      if (due[parentSlot]! <= at) break;
      this.place(heap[parentSlot]!, due[parentSlot]!, slot);
      slot = parentSlot;
    }
    this.place(item, at, slot);
  }

  private down(slot: number): void {
    const { heap, due } = this;
    const item = heap[slot]!;
    const at = due[slot]!;
    for (;;) {
      const left = 2 * slot + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && due[right]! < due[left]! ? right : left;
      if (due[child]! >= at) break;
      this.place(heap[child]!, due[child]!, slot);
      slot = child;
    }
    this.place(item, at, slot);
  }

  private place(item: Timed, at: number, slot: number): void {
    this.heap[slot] = item;
    this.due[slot] = at;
    item.deadlineSlot = slot;
  }
}
