/** One attempt's place: holding one of the workers, or waiting for its answer beside them. */
export interface AttemptSlot {
  state: 'holding' | 'waiting';
  timer: ReturnType<typeof setTimeout> | undefined;
}

export interface AttemptSlotsOptions {
  /** Attempts that hold a worker at once (WEBHOOK_WORKERS): what the claim fills. */
  workers: number;
  /** After this long without an answer an attempt gives its worker back (WEBHOOK_SLOW_ATTEMPT_MS). */
  slowAfterMs: number;
  /** Attempts waiting that way at once (WEBHOOK_MAX_WAITING_ATTEMPTS); past it a slow attempt keeps its worker. */
  maxWaiting: number;
  /** A worker was given back: claim again. */
  onFreed: () => void;
  /** The waiting attempts reached maxWaiting: slow attempts hold workers again (called once per time it fills). */
  onFull?: (waiting: number) => void;
}

/**
 * Which attempts hold one of the workers. A worker is an HTTP request the process is willing to
 * start, not a thread: an attempt that has waited `slowAfterMs` for its answer costs one socket
 * and a timer, so it gives its worker back and waits beside them until its answer or its timeout.
 * Without this, endpoints that never answer held every worker for WEBHOOK_TIMEOUT_MS: each holds
 * little (InFlightAllowance) and each user little (OwnerInFlight), but a few users together held
 * all 32, and every other user's deliveries waited behind them. The waiting attempts are bounded
 * (`maxWaiting`); past that a slow attempt keeps its worker as before, and takes the first place
 * that frees, oldest first. Per endpoint and per owner a waiting attempt still counts as in flight.
 */
export class AttemptSlots {
  private holding = 0;
  private readonly waiting = new Set<AttemptSlot>();
  /** Slow attempts still holding a worker because the waiting ones were at their bound, oldest first. */
  private readonly overdue = new Set<AttemptSlot>();
  private full = false;

  constructor(private readonly options: AttemptSlotsOptions) {}

  /** Workers free for the claim. */
  get free(): number {
    return this.options.workers - this.holding;
  }

  /** Attempts waiting for their answers without a worker. */
  get waitingCount(): number {
    return this.waiting.size;
  }

  take(): AttemptSlot {
    this.holding += 1;
    const slot: AttemptSlot = { state: 'holding', timer: undefined };
    slot.timer = setTimeout(() => this.slow(slot), this.options.slowAfterMs);
    slot.timer.unref?.();
    return slot;
  }

  release(slot: AttemptSlot): void {
    clearTimeout(slot.timer);
    if (slot.state === 'waiting') {
      this.waiting.delete(slot);
      this.full = false;
      this.admitOverdue();
    } else {
      this.overdue.delete(slot);
      this.holding -= 1;
    }
  }

  private slow(slot: AttemptSlot): void {
    slot.timer = undefined;
    if (this.waiting.size < this.options.maxWaiting) return this.toWaiting(slot);
    this.overdue.add(slot);
    if (!this.full) {
      this.full = true;
      this.options.onFull?.(this.waiting.size);
    }
  }

  private admitOverdue(): void {
    for (const slot of this.overdue) {
      if (this.waiting.size >= this.options.maxWaiting) return;
      this.overdue.delete(slot);
      this.toWaiting(slot);
    }
  }

  private toWaiting(slot: AttemptSlot): void {
    slot.state = 'waiting';
    this.holding -= 1;
    this.waiting.add(slot);
    this.options.onFreed();
  }
}
