import { randomUUID } from 'node:crypto';
import { events } from '@marketpulse/proto';
import { buildEvent, type PayloadOf } from '@marketpulse/runtime';
import { validationError } from '../errors';
import type { PublishEventInput } from '../events/publish_contracts';

/**
 * The id an event published by `publisher` carries on the bus: `<publisher>/<id>`, the publisher's
 * user id URL-encoded so it holds no `/`. Ids are scoped to their publisher: no publisher can take
 * another's ids, nor those of the suite's services (UUIDs, never with a `/`).
 */
export function scopedEventId(publisher: string, id: string): string {
  return `${encodeURIComponent(publisher)}/${id}`;
}

/**
 * The bus envelope of a validated event, with id (scoped to the caller), time, source and subject
 * filled in; owned when the input names an owner (owner_rule.ts decides whether it may), the payload
 * in its proto shape (fromPartial).
 */
export function toEvent(input: PublishEventInput, callerIdentity: string, now: Date | string = new Date()): events.Event {
  const source = input.source ?? callerIdentity;
  const data = input.data as Record<string, unknown>;
  const symbol = typeof data.symbol === 'string' ? data.symbol : undefined;
  const event = buildEvent(input.type, {
    id: scopedEventId(callerIdentity, input.id ?? randomUUID()),
    source,
    subject: input.subject ?? symbol ?? source,
    time: input.time ?? now,
    payload: input.data as PayloadOf<PublishEventInput['type']>,
    ...(input.owner === undefined ? {} : { owner: input.owner }),
  });
  return events.Event.fromPartial(event);
}

/**
 * The JSON form PublishEvent validates, from an Event received over gRPC; throws the field error
 * when the payload's case is not the event's type.
 */
export function fromEvent(event: events.Event): Record<string, unknown> {
  const payload = event.payload as Record<string, unknown> | undefined;
  if (payload && payload.$case !== event.type) {
    throw validationError([{ field: 'payload', message: `payload case '${String(payload.$case)}' must equal type '${event.type}'` }]);
  }
  const data = payload?.[event.type];
  return {
    ...(event.id ? { id: event.id } : {}),
    ...(event.source ? { source: event.source } : {}),
    ...(event.subject ? { subject: event.subject } : {}),
    ...(event.time ? { time: event.time } : {}),
    // proto3 cannot tell an empty owner from none: '' is a system event, as on the bus.
    ...(event.owner ? { owner: event.owner } : {}),
    type: event.type,
    data,
  };
}
