import { events } from '@marketpulse/proto';
import type { ComponentHealth } from '../health/component_health';
import { EVENT_CATALOG, isEventType } from '../events/catalog';

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
  /**
   * A rejection means "not processed": the same event is delivered again after a backoff. A record
   * that keeps failing for a reason of its own goes to the dead-letter topic (see record_failure.ts
   * and services/runtime/DEAD_LETTERS.md); throw unprocessableRecord(...) to send it there at once.
   */
  handler: (d: DeliveredEvent) => Promise<void>;
  /**
   * The handler's dependencies (its database) are up. Asked before a record whose failure is of no
   * known kind is dead-lettered: while this says false, the record is retried instead.
   */
  healthy?: () => Promise<boolean>;
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

/** The Kafka topic of an event type (the catalog's row); any other name is a topic name already. */
export function topicFor(prefix: string, type: string): string {
  return `${prefix}${isEventType(type) ? EVENT_CATALOG[type].topic : type}`;
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

/**
 * Why an envelope's payload is not what its type says (a tick's type around a user's alert), or
 * undefined: consumers route and show an event by its type, so a payload of another case would reach
 * whoever reads that type. Published events are refused, consumed ones set aside (consume_record.ts).
 */
export function payloadMismatch(event: events.Event): string | undefined {
  const found = event.payload?.$case;
  if (found === undefined || found === event.type) return undefined;
  return `event ${event.id || '(no id)'} of type ${event.type} carries a ${found} payload; the payload's case must be its type`;
}

export function assertPublishable(event: events.Event): void {
  if (!event.type) throw new BusError('BUS_INVALID_EVENT', `event ${event.id || '(no id)'} has no type; set Event.type`);
  if (!event.id)
    throw new BusError('BUS_INVALID_EVENT', `event of type ${event.type} has no id; set Event.id (unique, stable across retries)`);
  if (event.owner !== undefined && typeof event.owner !== 'string') {
    throw new BusError(
      'BUS_INVALID_EVENT',
      `event ${event.id} has a non-text owner; set Event.owner to a user id, or '' for a system event`,
    );
  }
  const mismatch = payloadMismatch(event);
  if (mismatch) throw new BusError('BUS_INVALID_EVENT', mismatch);
}

/**
 * The record value of an event. The generated encoder writes a missing string field as the text
 * "undefined", so an event built in plain JavaScript without `owner` would silently belong to a user
 * of that name and reach no one: a missing owner is a system event ('').
 */
export function encodeEvent(event: events.Event): Uint8Array {
  return events.Event.encode(event.owner === undefined ? { ...event, owner: '' } : event).finish();
}

/** Events marked by markDecodedForm: a WeakSet, so a mark costs the event nothing once it is gone. */
const DECODED_FORM = new WeakSet<events.Event>();

/**
 * Marks an event as built in exactly the form consumers get by decoding its record (every field
 * set, times as Date.toISOString writes them), so the in-memory bus hands it to them as it is
 * instead of encoding and decoding it (issue 19). Only for events validated where they entered
 * (the publish API checks the form first: gateway/src/publish/decoded_form.ts); the Kafka bus
 * encodes every event regardless.
 */
export function markDecodedForm(event: events.Event): events.Event {
  DECODED_FORM.add(event);
  return event;
}

export function isMarkedDecodedForm(event: events.Event): boolean {
  return DECODED_FORM.has(event);
}
