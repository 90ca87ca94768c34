import type { ComponentHealth, Logger, Subscription } from '@marketpulse/runtime';

export interface ConsumerLoopOptions {
  /** One attempt to subscribe (and position) the consumer; throws while the broker is unreachable. */
  subscribe: () => Promise<Subscription>;
  /** What an attempt in progress is doing, for /health ("subscribing", "warming the history from Kafka"). */
  attempt: string;
  /** Pause between attempts. */
  retryMs: number;
  logger: Logger;
}

/**
 * The gateway's bus consumer, subscribed in the background and retried while the broker is away,
 * so the gateway serves (and reports itself not ready) meanwhile.
 */
export class ConsumerLoop {
  private subscription: Subscription | undefined;
  private stopped = false;
  private error = 'not subscribed yet';
  private positionedFlag = false;
  private settle: () => void = () => undefined;
  /** Resolves once the consumer is positioned (or the loop is stopped first). */
  readonly consuming = new Promise<void>((resolve) => (this.settle = resolve));

  constructor(private readonly options: ConsumerLoopOptions) {}

  /** Starts subscribing; `onPositioned` runs once the consumer is positioned: events published from then on reach clients. */
  start(onPositioned: () => void): void {
    void this.run(onPositioned).then(this.settle);
  }

  get positioned(): boolean {
    return this.positionedFlag;
  }

  health(): ComponentHealth {
    return this.subscription && this.positionedFlag
      ? { ok: true, detail: 'subscribed to every event topic' }
      : { ok: false, detail: this.error };
  }

  /** Stops retrying and closes the subscription. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.subscription?.close();
  }

  private async run(onPositioned: () => void): Promise<void> {
    const { logger, retryMs } = this.options;
    while (!this.stopped) {
      try {
        this.error = this.options.attempt;
        const subscription = await this.options.subscribe();
        if (this.stopped) {
          await subscription.close();
          return;
        }
        this.subscription = subscription;
        this.positionedFlag = true;
        onPositioned();
        return;
      } catch (err) {
        this.error = err instanceof Error ? err.message : String(err);
        logger.warn({ err: this.error, retry_ms: retryMs }, 'cannot subscribe to the event topics yet; retrying');
        await new Promise((r) => setTimeout(r, retryMs));
      }
    }
  }
}
