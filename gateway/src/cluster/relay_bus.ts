import { context, propagation, ROOT_CONTEXT } from '@opentelemetry/api';
import { events } from '@marketpulse/proto';
import {
  assertPublishable,
  encodeEvent,
  markDecodedForm,
  traceHeaders,
  type Bus,
  type ComponentHealth,
  type Logger,
  type SubscribeOptions,
  type Subscription,
} from '@marketpulse/runtime';
import type { Relay } from './messages';
import type { PrimaryLink } from './primary_link';

/**
 * A worker's in-memory bus (BUS=memory with GATEWAY_WORKERS > 1). What the worker publishes (its
 * HTTP publish API, its PublishService) is checked here, encoded once (the contract's protobuf) and
 * sent to the primary, which hands it to every worker, this one included, in the order publications
 * reach it; each worker publishes what it is handed on its own bus, whose consumer feeds its hub. So
 * every publication reaches every worker exactly once (each IPC channel is ordered and loses nothing
 * while both ends live), and all workers see one order, as Kafka's partitions give one order to every
 * consumer group. publish() resolves once the primary has handed the events out.
 */
export class RelayBus implements Bus {
  /** Relays held until the first subscription has its backlog (a replacement worker's warm history). */
  private held: Relay[] | undefined = [];
  private warmed = false;

  constructor(
    private readonly local: Bus,
    private readonly primary: PrimaryLink,
    private readonly logger: Logger,
    /** The primary's newest publications when this worker was forked (empty at the first start). */
    private readonly backlog: Relay[] = [],
  ) {
    primary.onRelay((message) => {
      if (this.held) this.held.push(message);
      else void this.publishLocally(message);
    });
  }

  /** Decoded once (marked as such, so the local in-memory bus hands them along as they are) and published on this worker's bus. */
  private decode(message: Relay): events.Event[] | undefined {
    try {
      return message.events.map((bytes) => markDecodedForm(events.Event.decode(bytes)));
    } catch (err) {
      // Encoded by a worker of this very build, so this is a bug, not input: say so and go on.
      this.logger.error({ err }, 'relayed events could not be decoded; dropped');
      return undefined;
    }
  }

  private async publishLocally(message: Relay, list = this.decode(message)): Promise<void> {
    if (!list) return;
    // The producer's trace continues on this worker (its consumer span's parent), as over Kafka.
    const parent = propagation.extract(ROOT_CONTEXT, message.headers);
    try {
      await context.with(parent, () => this.local.publish(list));
    } catch (err) {
      this.logger.error({ err, events: list.length }, 'relayed events could not be published on this worker');
    }
  }

  async publish(input: events.Event | events.Event[]): Promise<void> {
    const list = Array.isArray(input) ? input : [input];
    list.forEach(assertPublishable);
    await this.primary.publish(list.map(encodeEvent), traceHeaders());
  }

  /**
   * The first subscription (the gateway's consumer) gets the backlog before anything live, and
   * resolves only once it has handled every backlog event of its types: until then the worker is not
   * ready (its doors answer 1013 NOT_READY), so no client sees the backlog as live events.
   */
  async subscribe(opts: SubscribeOptions): Promise<Subscription> {
    if (this.warmed) return this.local.subscribe(opts);
    this.warmed = true;
    const batches = this.backlog.map((relay) => ({ relay, list: this.decode(relay) }));
    const types = new Set(opts.types);
    const waiting = new Set(batches.flatMap((b) => (b.list ?? []).filter((e) => types.has(e.type)).map((e) => e.id)));
    let warm: () => void = () => undefined;
    const warmedUp = new Promise<void>((resolve) => (warm = resolve));
    if (waiting.size === 0) warm();
    const subscribing = this.local.subscribe({
      ...opts,
      handler: async (delivered) => {
        try {
          await opts.handler(delivered);
        } finally {
          // Tried counts: a record its handler keeps refusing is retried and dead-lettered as ever, not waited for.
          if (waiting.delete(delivered.event.id) && waiting.size === 0) warm();
        }
      },
    });
    // A failed subscription leaves the relays held for the next attempt.
    const subscription = await subscribing.catch((err: unknown) => {
      this.warmed = false;
      throw err;
    });
    for (const b of batches) await this.publishLocally(b.relay, b.list);
    for (const message of this.held ?? []) await this.publishLocally(message);
    this.held = undefined;
    await warmedUp;
    if (batches.length > 0)
      this.logger.info({ events: batches.reduce((n, b) => n + (b.list?.length ?? 0), 0) }, 'history warmed from the primary');
    return subscription;
  }

  async health(): Promise<ComponentHealth> {
    if (!this.primary.connected) return { ok: false, detail: 'the gateway primary is gone: no event reaches this worker' };
    return this.local.health();
  }

  close(): Promise<void> {
    return this.local.close();
  }
}
