interface Connectable {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * A kafkajs client connected on first use. A failed connect is forgotten and reset() drops a client
 * that went bad, so the next use starts a fresh one: that is how the bus outlives a broker restart.
 */
export class LazyConnection<C extends Connectable> {
  private ready: Promise<C> | undefined;

  constructor(private readonly make: () => C) {}

  get(): Promise<C> {
    if (!this.ready) {
      const client = this.make();
      const ready = client.connect().then(() => client);
      ready.catch(() => {
        if (this.ready === ready) this.ready = undefined;
      });
      this.ready = ready;
    }
    return this.ready;
  }

  reset(): void {
    const stale = this.ready;
    this.ready = undefined;
    void stale?.then((c) => c.disconnect()).catch(() => undefined);
  }

  async close(): Promise<void> {
    const current = this.ready;
    this.ready = undefined;
    await current?.then((c) => c.disconnect()).catch(() => undefined);
  }
}
