import type { events } from '@marketpulse/proto';
import { markDecodedForm } from '@marketpulse/runtime';

/** The last time found in decoded form: the events of a batch published without a time all share one. */
let lastDecodedTime = '';

/** Whether a time is written as decoding a google.protobuf.Timestamp writes it back (Date.toISOString). */
function isDecodedTime(time: string | undefined): boolean {
  if (time === undefined || time === lastDecodedTime) return true;
  const ms = Date.parse(time);
  if (Number.isNaN(ms) || new Date(ms).toISOString() !== time) return false;
  lastDecodedTime = time;
  return true;
}

/** The Timestamp fields of the publish API's payloads (system.proto); decoded_form.test.ts fails on a type it does not know. */
function payloadTimestamp(payload: events.Event['payload']): string | undefined {
  if (payload?.$case === 'system_log') return payload.system_log.timestamp;
  if (payload?.$case === 'system_error') return payload.system_error.timestamp;
  return undefined;
}

/**
 * Marks an event built by toEvent from a validated publish request as being in decoded form
 * (markDecodedForm: the in-memory bus then hands it to consumers without a protobuf round trip).
 * toEvent fills every field (fromPartial) from text the contracts checked, so only its times can
 * differ from what decoding gives: kept as the publisher wrote them (`…+01:00`, no milliseconds),
 * where decoding writes `….000Z`. An event with such a time is left unmarked and takes the round trip.
 */
export function markIfDecodedForm(event: events.Event): events.Event {
  return isDecodedTime(event.time) && isDecodedTime(payloadTimestamp(event.payload)) ? markDecodedForm(event) : event;
}
