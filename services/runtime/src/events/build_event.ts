import { randomUUID } from 'node:crypto';
import type { events } from '@marketpulse/proto';
import { BusError } from '../bus/bus';
import { EVENT_CATALOG, type EventPayload, type EventType, type PayloadOf } from './catalog';

export interface EventFields<T extends EventType> {
  /** Service (or publish-API caller) that produced it, e.g. "market-data". */
  readonly source: string;
  /** What it is about, usually the symbol; the Kafka key, so one subject's events stay in order. */
  readonly subject: string;
  readonly payload: PayloadOf<T>;
  /** Unique and stable across retries (consumers deduplicate on it); a new UUID when omitted. */
  readonly id?: string;
  /** When it happened: an ISO text is kept as given, a Date or epoch milliseconds becomes one; now when omitted. */
  readonly time?: string | Date | number;
  /** The user it belongs to; '' (the default) for a system event. Must agree with the type's visibility. */
  readonly owner?: string;
}

/**
 * The one way to build an Event envelope: `type` is the payload's case, so the two cannot disagree.
 * The owner is checked against the catalog's visibility, so a system-only type can never be made a
 * user's (and vanish for everyone else) nor an owned type reach every reader of its channel.
 * The trace context is not part of the envelope: the bus puts the active traceparent in the record
 * headers when it publishes.
 */
export function buildEvent<T extends EventType>(type: T, fields: EventFields<T>): events.Event {
  const owner = fields.owner ?? '';
  const visibility = EVENT_CATALOG[type].visibility;
  if (visibility === 'system' && owner !== '') {
    throw new BusError('BUS_INVALID_EVENT', `a ${type} event is a system event and has no owner; drop owner '${owner}'`);
  }
  if (visibility === 'owned' && owner === '') {
    throw new BusError('BUS_INVALID_EVENT', `a ${type} event belongs to a user; set owner to the user id`);
  }
  return {
    id: fields.id ?? randomUUID(),
    type,
    source: fields.source,
    subject: fields.subject,
    time: isoTime(fields.time),
    owner,
    payload: { $case: type, [type]: fields.payload } as unknown as EventPayload,
  };
}

function isoTime(time: string | Date | number | undefined): string {
  if (typeof time === 'string') return time;
  return (time === undefined ? new Date() : new Date(time)).toISOString();
}
