import {
  classifyFailure,
  ownerOfEvent,
  traceHeaders,
  type Bus,
  type DeliveredEvent,
  type Logger,
  type Subscription,
} from '@marketpulse/runtime';
import { DELIVERABLE_EVENT_TYPES } from '../payload/event_types';
import { serializeBody } from '../payload/webhook_body';
import type { DeliveryStore, IncomingEvent } from '../store/delivery_store';
import { WriteBatcher } from '../store/write_batcher';

const MAX_BATCH = 500;

export interface EventIntakeOptions {
  groupId: string;
  /**
   * Consumer-group members this process runs. One member already handles many partitions side by
   * side (the bus caps it at 16); more members only help when more partitions than that are busy.
   */
  consumers: number;
  maxPayloadBytes: number;
  /** Called when an event produced new deliveries, so this process's worker claims them at once. */
  onNewDeliveries: () => void;
  /** The delivery store answers: an event that fails while it does not is never dead-lettered. */
  storeHealthy?: () => Promise<boolean>;
}

/** Kafka -> store: turns every event into one delivery per matching endpoint. */
export class EventIntake {
  private readonly subscriptions: Subscription[] = [];
  private closed = false;
  /** The records the bus hands over side by side (one per partition) share one INSERT. */
  private readonly writer: WriteBatcher<IncomingEvent, number>;

  constructor(
    private readonly bus: Bus,
    deliveries: DeliveryStore,
    private readonly options: EventIntakeOptions,
    private readonly logger: Logger,
  ) {
    this.writer = new WriteBatcher(
      async (batch) => {
        const created = await deliveries.insertForEvents(batch, options.maxPayloadBytes);
        return batch.map((e) => created.get(e.id) ?? 0);
        // One event the database refuses (e.g. NUL in its id) must not fail the events batched with it.
      },
      MAX_BATCH,
      (err) => classifyFailure(err) === 'poison',
    );
  }

  /**
   * Joins the consumer group; resolves once joined. A broker that is away or still settling (a
   * topic just created has no leader yet) is retried with backoff until close().
   */
  async start(): Promise<void> {
    await Promise.all(Array.from({ length: this.options.consumers }, () => this.join()));
  }

  private async join(): Promise<void> {
    for (let attempt = 0; !this.closed; attempt++) {
      try {
        const subscription = await this.bus.subscribe({
          groupId: this.options.groupId,
          types: DELIVERABLE_EVENT_TYPES,
          handler: (d) => this.accept(d),
          healthy: this.options.storeHealthy,
        });
        if (this.closed) await subscription.close();
        else this.subscriptions.push(subscription);
        return;
      } catch (err) {
        const waitMs = Math.min(30_000, 500 * 2 ** Math.min(attempt, 6));
        this.logger.warn(
          { err: err instanceof Error ? err.message : String(err), attempt, retry_in_ms: waitMs },
          'subscribing to the event topics failed; retrying',
        );
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled(this.subscriptions.splice(0).map((s) => s.close()));
  }

  /**
   * DURABILITY: the bus commits this record's offset only after this handler resolves, and it
   * resolves only after the batch holding this record's deliveries is written (a failed batch
   * rejects every handler in it, and the bus redelivers their records).
   * So an event is in the delivery store before Kafka forgets it, and a crash in between redelivers
   * the record, which the unique (event_id, endpoint_id) constraint turns into a no-op.
   */
  private async accept(d: DeliveredEvent): Promise<void> {
    const { event } = d;
    const created = await this.writer.write({
      id: event.id,
      type: event.type,
      subject: event.subject,
      owner: ownerOfEvent(event),
      body: serializeBody(event),
      // The consumer span's context when telemetry runs, so deliveries hang under it in the trace.
      traceparent: traceHeaders().traceparent ?? d.traceparent,
    });
    if (created > 0) {
      this.logger.debug({ event_id: event.id, event_type: event.type, deliveries: created }, 'deliveries queued');
      this.options.onNewDeliveries();
    }
  }
}
