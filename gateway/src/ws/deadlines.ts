/** Something with at most one pending deadline; the two fields belong to the Deadlines holding it. */
export interface Timed {
  /** Epoch ms the deadline falls due; Infinity when none is set. */
  deadlineAt: number;
  /** Position in the holder's heap; -1 when not held. */
  deadlineSlot: number;
  onDeadline(): void;
}

/** setTimeout's largest delay; later deadlines are re-armed when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * One timer for any number of deadlines (auth timeouts, credential expiries): a binary min-heap
 * ordered by due time, the timer armed for its root. A per-connection setTimeout would cost each
 * connection a Timeout object and a closure; here a deadline costs two numbers on its owner, and
 * one far in the future (an API key expiring in a year) is held like any other.
 */
export class Deadlines {
  private readonly heap: Timed[] = [];
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
    if (item.deadlineSlot < 0) {
      item.deadlineSlot = this.heap.length;
      this.heap.push(item);
    }
    const earlier = at < item.deadlineAt;
    item.deadlineAt = at;
    if (earlier) this.up(item.deadlineSlot);
    else this.down(item.deadlineSlot);
    this.arm();
  }

  clear(item: Timed): void {
    const slot = item.deadlineSlot;
    item.deadlineAt = Infinity;
    if (slot < 0) return;
    item.deadlineSlot = -1;
    const last = this.heap.pop()!;
    if (slot < this.heap.length) {
      this.heap[slot] = last;
      last.deadlineSlot = slot;
      this.up(slot);
      this.down(last.deadlineSlot);
    }
    // The timer stays armed: when it fires early it finds nothing due and re-arms for the root.
  }

  /** Drops every deadline and the timer (gateway shutdown). */
  stop(): void {
    for (const item of this.heap) {
      item.deadlineAt = Infinity;
      item.deadlineSlot = -1;
    }
    this.heap.length = 0;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  private arm(): void {
    const root = this.heap[0];
    if (!root || root.deadlineAt >= this.armedFor) return;
    clearTimeout(this.timer);
    this.armedFor = root.deadlineAt;
    this.timer = setTimeout(this.fire, Math.min(MAX_TIMER_MS, Math.max(0, root.deadlineAt - this.now())));
    this.timer.unref();
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = this.now();
    for (let root = this.heap[0]; root && root.deadlineAt <= now; root = this.heap[0]) {
      this.clear(root);
      root.onDeadline();
    }
    this.arm();
  };

  private up(slot: number): void {
    const heap = this.heap;
    const item = heap[slot]!;
    while (slot > 0) {
      const parentSlot = (slot - 1) >> 1;
      const parent = heap[parentSlot]!;
      if (parent.deadlineAt <= item.deadlineAt) break;
      heap[slot] = parent;
      parent.deadlineSlot = slot;
      slot = parentSlot;
    }
    heap[slot] = item;
    item.deadlineSlot = slot;
  }

  private down(slot: number): void {
    const heap = this.heap;
    const item = heap[slot]!;
    for (;;) {
      const left = 2 * slot + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right]!.deadlineAt < heap[left]!.deadlineAt ? right : left;
      if (heap[child]!.deadlineAt >= item.deadlineAt) break;
      heap[slot] = heap[child]!;
      heap[slot]!.deadlineSlot = slot;
      slot = child;
    }
    heap[slot] = item;
    item.deadlineSlot = slot;
  }
}
