import { events } from '@marketpulse/proto';
import type { LogRecord } from './kafka_log';

/** What gives a record its `pos`: the gateway's PositionIndex, or the codec alone in the read-back thread. */
export interface RecordPositions {
  entryAfter(topic: string, partition: number, offset: number): string | undefined;
}

/** A record's event, decoded: what the read-back thread hands the gateway's (record_publication.ts makes the publication). */
export interface RecordEvent {
  readonly event: events.Event;
  readonly traceparent: string | undefined;
  /** Its position-token entry, when `positions` gave one. */
  readonly pos: string | undefined;
}

/**
 * Decodes a record's event; null for one live delivery skips too (no value, not an Event, no id).
 * Imports nothing of the gateway besides the generated code, so the read-back thread starts fast.
 */
export function decodeRecord(record: LogRecord, positions?: RecordPositions): RecordEvent | null {
  if (!record.value) return null;
  let event: events.Event;
  try {
    event = events.Event.decode(record.value);
  } catch {
    return null;
  }
  if (!event.id) return null;
  return {
    event,
    traceparent: headerText(record.headers.traceparent),
    pos: positions?.entryAfter(record.topic, record.partition, record.offset),
  };
}

function headerText(value: LogRecord['headers'][string]): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

/**
 * Decoded events as the read-back thread hands them to the gateway's: flat arrays of strings, which
 * a postMessage copies for about a tenth of what the object graphs of decoded events cost (about 1
 * µs an event against 9, bench/resume/README.md). Per event, STRIDE strings in `fields` and its
 * payload in `data`: the payload's JSON text, or the object itself when JSON would not give it back
 * exactly (a double that is NaN or infinite becomes null in JSON).
 */
export interface PackedEvents {
  readonly fields: (string | undefined)[];
  readonly data: (string | object)[];
}

const STRIDE = 9;

export function packEvents(decoded: readonly RecordEvent[]): PackedEvents {
  const fields: (string | undefined)[] = [];
  const data: (string | object)[] = [];
  for (const { event, traceparent, pos } of decoded) {
    const { payload } = event;
    const $case = payload?.$case;
    fields.push(event.id, event.type, event.source, event.subject, event.time, event.owner, $case, traceparent, pos);
    const value = payload ? (payload as Record<string, unknown>)[payload.$case] : undefined;
    const json = value === undefined ? '' : JSON.stringify(value);
    // ts-proto objects hold no null: one in the text is a number JSON cannot write.
    data.push(json.includes('null') ? (value as object) : json);
  }
  return { fields, data };
}

export function packedCount(packed: PackedEvents): number {
  return packed.data.length;
}

/** The i-th event of a pack, as decodeRecord gave it. */
export function unpackEvent(packed: PackedEvents, i: number): RecordEvent {
  const f = packed.fields;
  const at = i * STRIDE;
  const $case = f[at + 6];
  const raw = packed.data[i]!;
  const value = typeof raw === 'string' ? (raw === '' ? undefined : (JSON.parse(raw) as object)) : raw;
  const event: events.Event = {
    id: f[at]!,
    type: f[at + 1]!,
    source: f[at + 2]!,
    subject: f[at + 3]!,
    time: f[at + 4],
    owner: f[at + 5]!,
    // The case and its message, as the decoder set them (the union's cases are not checkable here).
    payload: $case === undefined ? undefined : ({ $case, [$case]: value } as events.Event['payload']),
  };
  return { event, traceparent: f[at + 7], pos: f[at + 8] };
}
