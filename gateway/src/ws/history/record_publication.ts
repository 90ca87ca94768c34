import { channelsOf, payloadOf, publicationOf } from '../../events/routes';
import type { Publication } from '../history';
import type { LogRecord } from './kafka_log';
import { decodeRecord, type RecordEvent, type RecordPositions } from './record_event';

/** The publication a record carried, as live delivery would have built it (with its `pos` when `positions` has one); null for one it skips. */
export function publicationOfRecord(record: LogRecord, positions?: RecordPositions): Publication | null {
  const decoded = decodeRecord(record, positions);
  return decoded && publicationOfEvent(decoded);
}

/** The publication of a decoded record, as live delivery builds it. */
export function publicationOfEvent({ event, traceparent, pos }: RecordEvent): Publication {
  const data = payloadOf(event);
  // The input is this publication's alone: completed in place (same fields, same order) rather than
  // copied by a spread, once per replayed event.
  const pub = publicationOf(event, traceparent, data) as { -readonly [K in keyof Publication]: Publication[K] };
  pub.seq = 0;
  pub.channels = channelsOf(event, data);
  if (pos !== undefined) pub.pos = pos;
  return pub;
}
