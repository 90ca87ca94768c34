/**
 * Group commit: coalesces writes made at about the same time into one database statement. A write
 * waits at most for the batch in flight; every write that arrives meanwhile goes out together next.
 * Each caller's promise settles only once its own item is written (or its batch failed), so a
 * caller that must not go on before its data is durable can simply await it.
 */
export class WriteBatcher<T, R> {
  private queue: { item: T; resolve: (result: R) => void; reject: (err: unknown) => void }[] = [];
  private draining = false;

  /**
   * `writeBatch` returns one result per item, in order. When a batch of several fails with an error
   * `isItemFault` calls a fault of some item's data (a value the database refuses), each item is
   * written alone, so only the faulty one fails and the others are not held hostage by it.
   */
  constructor(
    private readonly writeBatch: (items: T[]) => Promise<R[]>,
    private readonly maxBatch: number,
    private readonly isItemFault: (err: unknown) => boolean = () => false,
  ) {}

  write(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        // After the current I/O callbacks, so writes made by the same burst of events share the first batch.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        const results = await this.writeBatch(batch.map((w) => w.item));
        batch.forEach((w, i) => w.resolve(results[i]));
      } catch (err) {
        if (batch.length > 1 && this.isItemFault(err)) await this.oneByOne(batch);
        else for (const w of batch) w.reject(err);
      }
    }
    this.draining = false;
  }

  private async oneByOne(batch: typeof this.queue): Promise<void> {
    for (const w of batch) {
      try {
        w.resolve((await this.writeBatch([w.item]))[0]);
      } catch (err) {
        w.reject(err);
      }
    }
  }
}
