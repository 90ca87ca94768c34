import { events } from '@marketpulse/proto';
import { isEventType, payloadMismatch } from '@marketpulse/runtime';
import type { LogRecord } from './kafka_log';
import { decodeTickEvent } from './tick_event_decoder';

/** What gives a record its `pos`: the gateway's PositionIndex, or the codec alone in the read-back thread. */
export interface RecordPositions {
  entryAfter(topic: string, partition: number, offset: number): string | undefined;
}

/** A record's event, decoded (record_publication.ts makes the publication). */
export interface RecordEvent {
  readonly event: events.Event;
  readonly traceparent: string | undefined;
  /** Its position-token entry, when `positions` gave one. */
  readonly pos: string | undefined;
}

/**
 * Decodes a record's event; null for one live delivery skips too (no value, not an Event, no id, a
 * type the catalog does not know, a payload that is not its type's: the bus dead-letters that one). Imports nothing of the gateway, so the
 * read-back thread starts fast.
 */
export function decodeRecord(record: LogRecord, positions?: RecordPositions): RecordEvent | null {
  if (!record.value) return null;
  let event: events.Event;
  try {
    // Ticks, most of a catch-up, without a Date per timestamp; the generated code for the rest.
    event = decodeTickEvent(record.value) ?? events.Event.decode(record.value);
  } catch {
    return null;
  }
  if (!event.id || !isEventType(event.type) || payloadMismatch(event)) return null;
  return {
    event,
    traceparent: headerText(record.headers.traceparent),
    pos: positions?.entryAfter(record.topic, record.partition, record.offset),
  };
}

/** A header's text, as the generic path reads a traceparent. */
export function headerText(value: LogRecord['headers'][string]): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}
