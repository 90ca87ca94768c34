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

/** Read from the generated decoder: an Event holding an empty payload of each case, as JSON. */
function defaultsOf(type: string): Item | undefined {
  if (!payloadDefaults) {
    payloadDefaults = new Map();
    for (let field = 1; field < 256; field++) {
      const event = Event.decode(Uint8Array.from([...tag(field), 0]));
      const kind = event.payload?.$case;
      if (kind) payloadDefaults.set(kind, (Event.toJSON(event) as Record<string, Item>)[kind]!);
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

/**
 * The whole item of a `data` message: fixed fields from the filters, an empty `source`/`subject`
 * the frame left out, then each payload default that is missing.
 */
export function completeItem(type: SubscriptionType, filters: Filters, item: Item): Item {
  const whole: Item = type === 'events' ? { source: '', subject: '', ...item } : { ...item };
  if (type === 'events') whole.payload = { ...((item.payload as Item | undefined) ?? {}) };
  for (const [path, value] of pinned(type, filters)) {
    const target = path.length === 1 ? whole : (whole.payload as Item);
    target[path[path.length - 1]!] = value;
  }
  const defaults = defaultsOf(String(whole.event_type));
  if (!defaults) return whole;
  if (type === 'events') whole.payload = { ...defaults, ...(whole.payload as Item) };
  else return { event_type: whole.event_type, ...defaults, ...stripType(whole) };
  return whole;
}

function stripType(item: Item): Item {
  const { event_type: _, ...rest } = item;
  return rest;
}

/** A binary `data` message (`marketpulse.v1.proto`): one StreamData. */
export interface BinaryData {
  subscriptionId: string;
  id: string;
  timestamp: string;
  pos?: string;
  traceId?: string;
  /** The item as the JSON message carries it for a subscription of `type` (before completeItem). */
  item(type: SubscriptionType): Item;
}

/** Decodes a binary frame; throws on bytes that are not a StreamData. */
export function decodeBinaryData(bytes: Uint8Array): BinaryData {
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
