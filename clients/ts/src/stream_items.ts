import { Event } from './generated/proto/marketpulse/events/v1/event.js';
import { StreamData } from './generated/proto/marketpulse/realtime/v1/stream.js';
import type { Filters, SubscriptionType } from './events.js';

/**
 * The native protocol's `data` messages leave out what the client already knows (gateway/README.md,
 * "The native protocol's frames"): payload fields at their contract default, our item fields a
 * filter of the subscription fixes (never seed 002's), the event type of a binary frame. This puts
 * them back, so a subscriber gets the whole item whatever the format.
 */

type Item = Record<string, unknown>;

/** Each event type's payload with every field at its default, as the contracts' JSON writes it. */
let payloadDefaults: Map<string, Item> | undefined;

/** A protobuf tag of a length-delimited field (wire type 2), as a varint. */
function tag(field: number): number[] {
  const bytes: number[] = [];
  let v = (field << 3) | 2;
  while (v > 127) {
    bytes.push((v & 127) | 128);
    v >>>= 7;
  }
  bytes.push(v);
  return bytes;
}

/**
 * Read from the generated decoder: an Event holding an empty payload of each case, as JSON, with
 * its empty maps (`{}`, which the contracts' JSON leaves out and a frame leaves out too).
 */
function defaultsOf(type: string): Item | undefined {
  if (!payloadDefaults) {
    payloadDefaults = new Map();
    for (let field = 1; field < 256; field++) {
      const event = Event.decode(Uint8Array.from([...tag(field), 0]));
      const kind = event.payload?.$case;
      if (!kind) continue;
      const decoded = (event.payload as unknown as Record<string, Item>)[kind]!;
      const maps = Object.keys(decoded).filter((key) => {
        const value = decoded[key];
        return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
      });
      const json = (Event.toJSON(event) as Record<string, Item>)[kind]!;
      payloadDefaults.set(kind, { ...Object.fromEntries(maps.map((key) => [key, {}])), ...json });
    }
  }
  return payloadDefaults.get(type);
}

/**
 * Filter paths that fix one item field (the gateway's pinnedPaths, gateway/src/ws/doors/stream_frames.ts):
 * `source`, `subject` or `payload.<key>` on `events`, a payload field of a typed item; never a field
 * seed 002 names (`event_id`, `event_type`, `timestamp`, `payload`), which every frame carries.
 */
function pinned(type: SubscriptionType, filters: Filters): [string[], unknown][] {
  const out: [string[], unknown][] = [];
  for (const [path, expected] of Object.entries(filters)) {
    if (Array.isArray(expected) && expected.length !== 1) continue;
    const parts = path.split('.');
    const fixes =
      type === 'events'
        ? parts.length === 1
          ? parts[0] === 'source' || parts[0] === 'subject'
          : parts.length === 2 && parts[0] === 'payload'
        : parts.length === 1 && parts[0] !== 'event_type';
    if (fixes) out.push([parts, Array.isArray(expected) ? expected[0] : expected]);
  }
  return out;
}

/** Keys never copied from a frame: an item holding them as its own is one merge away from prototype pollution. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const isObject = (value: unknown): value is Item => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A fresh object of `value`'s own fields but the UNSAFE_KEYS. */
function ownFields(value: Item): Item {
  const out: Item = {};
  for (const key of Object.keys(value)) if (!UNSAFE_KEYS.has(key)) out[key] = value[key];
  return out;
}

/**
 * The whole item of a `data` message: fixed fields from the filters, an empty `source`/`subject`
 * the frame left out, then each payload default that is missing. Own `__proto__`, `constructor`
 * and `prototype` keys of the item and its payload are dropped; throws (an invalid frame) when the
 * item, or an event's payload, is not a JSON object.
 */
export function completeItem(type: SubscriptionType, filters: Filters, item: unknown): Item {
  if (!isObject(item)) throw new TypeError('an item is a JSON object');
  const fields = ownFields(item);
  const whole: Item = type === 'events' ? { source: '', subject: '', ...fields } : fields;
  if (type === 'events') {
    const payload = item.payload ?? {};
    if (!isObject(payload)) throw new TypeError("an event's payload is a JSON object");
    whole.payload = ownFields(payload);
  }
  for (const [path, value] of pinned(type, filters)) {
    const key = path[path.length - 1]!;
    if (UNSAFE_KEYS.has(key)) continue;
    const target = path.length === 1 ? whole : (whole.payload as Item);
    target[key] = value;
  }
  const defaults = typeof whole.event_type === 'string' ? defaultsOf(whole.event_type) : undefined;
  if (!defaults) return whole;
  if (type === 'events') whole.payload = { ...defaults, ...(whole.payload as Item) };
  else return { event_type: whole.event_type, ...defaults, ...stripType(whole) };
  return whole;
}

function stripType(item: Item): Item {
  const { event_type: _, ...rest } = item;
  return rest;
}

/** A binary (`marketpulse.v1.proto`) or compact (`marketpulse.v1.compact`) `data` message, decoded. */
export interface DecodedData {
  subscriptionId: string;
  id: string;
  timestamp: string;
  pos?: string;
  traceId?: string;
  /** The item as the JSON message carries it for a subscription of `type` and `filters` (before completeItem). */
  item(type: SubscriptionType, filters: Filters): Item;
}

/** Decodes a binary frame; throws on bytes that are not a StreamData. */
export function decodeBinaryData(bytes: Uint8Array): DecodedData {
  const data = StreamData.decode(bytes);
  const event = data.event ? (Event.toJSON(data.event) as Item) : {};
  const kind = data.event?.payload?.$case ?? String(event.type ?? '');
  const payload = (kind && (event[kind] as Item | undefined)) || {};
  const id = String(event.id ?? '');
  const time = String(event.time ?? '');
  return {
    subscriptionId: data.subscription_id,
    id,
    timestamp: time,
    ...(data.pos ? { pos: data.pos } : {}),
    ...(data.trace_id ? { traceId: data.trace_id } : {}),
    item: (type) =>
      type === 'events'
        ? { event_id: id, event_type: kind, source: event.source, subject: event.subject, timestamp: time, payload }
        : { event_type: kind, ...payload },
  };
}

/** The one event type the filters admit, which a compact frame leaves out (the gateway's pinnedType). */
function pinnedType(filters: Filters): string | undefined {
  const expected = filters.event_type;
  const only = Array.isArray(expected) ? (expected.length === 1 ? expected[0] : undefined) : expected;
  return typeof only === 'string' ? only : undefined;
}

const isText = (value: unknown): value is string => typeof value === 'string';

/** Milliseconds a Date can hold (ECMA-262 §21.4.1.22): beyond them toISOString() throws. */
const MAX_TIME_MS = 8.64e15;

/**
 * A compact `data` message (`marketpulse.v1.compact`): `[subscription_id, event_id, event_type,
 * time, payload, source?, subject?, pos?, trace_id?]` (gateway/src/ws/doors/stream_compact.ts), with
 * `""` where a field is left out and `time` as epoch milliseconds or ISO text. Throws on any other
 * array, and on one without an event id (every data message carries the id a client resumes from).
 */
export function decodeCompactData(frame: readonly unknown[]): DecodedData {
  const [subscriptionId, id, kind, time, payload, ...rest] = frame;
  const wellFormed =
    frame.length >= 5 &&
    frame.length <= 9 &&
    isText(subscriptionId) &&
    isText(id) &&
    id !== '' &&
    isText(kind) &&
    (isText(time) || (Number.isSafeInteger(time) && Math.abs(time as number) <= MAX_TIME_MS)) &&
    typeof payload === 'object' &&
    payload !== null &&
    !Array.isArray(payload) &&
    rest.every(isText);
  if (!wellFormed) throw new TypeError('not a compact data message');
  const [source = '', subject = '', pos = '', traceId = ''] = rest as string[];
  const timestamp = isText(time) ? time : new Date(time as number).toISOString();
  return {
    subscriptionId,
    id,
    timestamp,
    ...(pos ? { pos } : {}),
    ...(traceId ? { traceId } : {}),
    item: (type, filters) => {
      const eventType = kind || (pinnedType(filters) ?? '');
      return type === 'events'
        ? { event_id: id, event_type: eventType, source, subject, timestamp, payload }
        : { event_type: eventType, ...(payload as Item) };
    },
  };
}
