import { EventEmitter } from 'node:events';
import type { Bus, DeliveredEvent, Logger, Subscription } from '@marketpulse/runtime';
import { alertFromProto } from './proto_mapping';
import { RecentIds } from './recent_ids';
import type { AlertRecord } from './store/alert_store';

export interface LiveAlertsOptions {
  bus: Bus;
  /** Alerts this instance's engine stores (AlertEngine.feed, event 'alert'). */
  local: EventEmitter;
  /** Unique per instance, so every instance reads every alert_triggered event. */
  groupId: string;
  logger: Logger;
  /** How many alert ids are remembered to drop repeats; default 50 000. */
  remember?: number;
}

/**
 * Every alert raised by any instance of the service, each once. Ticks are split between the
 * instances (one evaluator group), so one instance's own alerts are only part of the picture: the
 * rest arrive as alert_triggered events, read here in a group of this instance's own from the end
 * of the topic. This instance's alerts are passed on as soon as they are stored (streams keep
 * working while the broker is away) and their echo from the bus, like any redelivery, is dropped
 * by alert id.
 */
export class LiveAlerts {
  private readonly emitter = new EventEmitter();
  private readonly seen: RecentIds;
  private subscription: Subscription | undefined;
  private readonly onLocal = (a: AlertRecord) => this.pass(a);

  constructor(private readonly o: LiveAlertsOptions) {
    this.emitter.setMaxListeners(0);
    this.seen = new RecentIds(o.remember ?? 50_000);
  }

  async start(): Promise<void> {
    this.o.local.on('alert', this.onLocal);
    this.subscription = await this.o.bus.subscribe({
      groupId: this.o.groupId,
      types: ['alert_triggered'],
      fromBeginning: false,
      handler: async (d) => this.fromBus(d),
    });
  }

  async stop(): Promise<void> {
    this.o.local.off('alert', this.onLocal);
    await this.subscription?.close();
    this.subscription = undefined;
  }

  /** Calls `listener` with every alert from now on; returns the function that stops it. */
  listen(listener: (a: AlertRecord) => void): () => void {
    this.emitter.on('alert', listener);
    return () => this.emitter.off('alert', listener);
  }

  private fromBus({ event }: DeliveredEvent): void {
    if (event.payload?.$case !== 'alert_triggered') {
      this.o.logger.warn({ event_id: event.id, type: event.type }, 'alert_triggered event without an alert payload skipped');
      return;
    }
    this.pass(alertFromProto(event.payload.alert_triggered));
  }

  private pass(a: AlertRecord): void {
    if (this.seen.firstSighting(a.id)) this.emitter.emit('alert', a);
  }
}
