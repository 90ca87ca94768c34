import type { events } from '@marketpulse/proto';
import type { ComponentHealth } from '../health/component_health';

export interface DeliveredEvent {
  event: events.Event;
  topic: string;
  partition: number;
  offset: string;
  traceparent?: string;
}

export interface SubscribeOptions {
  /**
   * Consumers sharing a groupId split the events between them; each group gets every event. The bus
   * namespaces it by its topic prefix (the group joined is `${topicPrefix}${groupId}`), so pass a
   * bare name such as `prediction`: runs with different prefixes never share a group.
   */
  groupId: string;
  /** Event types (`market_data_update`, ...), not topic names. */
  types: string[];
  /** For a group with no committed position: replay what is retained instead of starting at the end. */
  fromBeginning?: boolean;
  /** A rejection means "not processed": the same event is delivered again after a backoff. */
  handler: (d: DeliveredEvent) => Promise<void>;
}

export interface Subscription {
  close(): Promise<void>;
}

export interface Bus {
  /** Resolves once every event is durably accepted (Kafka: acks=all). */
  publish(events: events.Event | events.Event[]): Promise<void>;
  /** At-least-once: a position is committed only after the handler resolves. */
  subscribe(opts: SubscribeOptions): Promise<Subscription>;
  health(): Promise<ComponentHealth>;
  close(): Promise<void>;
}

export function topicFor(prefix: string, type: string): string {
  return `${prefix}${type}`;
}

/** Thrown for events the bus refuses to publish; the message says which field is wrong. */
export class BusError extends Error {
  constructor(
    readonly code: 'BUS_INVALID_EVENT' | 'BUS_CLOSED' | 'BUS_PUBLISH_FAILED' | 'BUS_SUBSCRIBE_FAILED',
    message: string,
  ) {
    super(message);
    this.name = 'BusError';
  }
}

export function assertPublishable(event: events.Event): void {
  if (!event.type) throw new BusError('BUS_INVALID_EVENT', `event ${event.id || '(no id)'} has no type; set Event.type`);
  if (!event.id) throw new BusError('BUS_INVALID_EVENT', `event of type ${event.type} has no id; set Event.id (unique, stable across retries)`);
}
