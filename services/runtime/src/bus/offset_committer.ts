export interface PartitionOffset {
  topic: string;
  partition: number;
  /** The next offset to read: the handled record's offset + 1. */
  offset: string;
}

export interface CommitCadence {
  /** Commit once this many records were handled since the last commit... */
  everyRecords: number;
  /** ...or this long after the first record handled since the last commit. */
  everyMs: number;
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * Commits handled positions in the background, a few times a second instead of once per record,
 * so that neither the handlers nor the fetch loop wait for a commit round trip (the broker's group
 * coordinator takes about 10 ms per commit). Records of a partition are handled in order, so the
 * latest handled offset of a partition is also its highest contiguous one. One commit is in flight
 * at a time; what is handled meanwhile goes in the next. A failed commit is not retried here: the
 * next commit of that partition covers it, or its records are redelivered (at-least-once).
 */
export class OffsetCommitter {
  private readonly pending = new Map<string, PartitionOffset>();
  private handledSinceCommit = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private background: Promise<void> | undefined;

  constructor(
    private readonly commit: (offsets: PartitionOffset[]) => Promise<void>,
    private readonly cadence: CommitCadence,
    private readonly onError: (err: unknown, offsets: PartitionOffset[]) => void,
  ) {}

  /** Records that the record at `offset` and every earlier one of its partition were handled. */
  handled(topic: string, partition: number, offset: string): void {
    this.pending.set(key(topic, partition), { topic, partition, offset: (BigInt(offset) + 1n).toString() });
    this.handledSinceCommit += 1;
    this.schedule();
  }

  /** One background flush at a time; when it is done, what was handled meanwhile is scheduled. */
  private schedule(): void {
    if (this.background || this.pending.size === 0) return;
    if (this.handledSinceCommit >= this.cadence.everyRecords) this.flushInBackground();
    else
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.flushInBackground();
      }, this.cadence.everyMs);
  }

  private flushInBackground(): void {
    this.background = this.flush().finally(() => {
      this.background = undefined;
      this.schedule();
    });
  }

  /** Forgets positions of partitions this member no longer owns (after a rebalance). */
  retainOnly(owned: (topic: string, partition: number) => boolean): void {
    for (const [k, p] of this.pending) if (!owned(p.topic, p.partition)) this.pending.delete(k);
  }

  /** Commits everything handled so far; resolves once that commit settled. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.inFlight) await this.inFlight;
    if (this.pending.size === 0) return;
    const offsets = [...this.pending.values()];
    this.pending.clear();
    this.handledSinceCommit = 0;
    this.inFlight = this.commit(offsets)
      .catch((err: unknown) => this.onError(err, offsets))
      .finally(() => {
        this.inFlight = undefined;
      });
    await this.inFlight;
  }

  /** Drops what is pending without committing it (the consumer it belongs to is gone). */
  discard(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
    this.handledSinceCommit = 0;
  }
}
