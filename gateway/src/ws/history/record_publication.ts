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
  return {
    ...publicationOf(event, traceparent, data),
    seq: 0,
    channels: channelsOf(event, data),
    ...(pos !== undefined ? { pos } : {}),
  };
}
