import { events, realtime } from '@marketpulse/proto';
import { EVENT_TYPES } from '@marketpulse/runtime';
import { binaryFrame, jsonFrame, type Frame } from '../encode';
import { dataCompact } from './stream_compact';
import type { Publication } from '../history';

/**
 * The native door's subprotocols (Sec-WebSocket-Protocol). The gateway picks the first of these a
 * client offers, so a client offering several gets the fewest bytes it can read:
 * `marketpulse.v1.proto` sends each `data` message as one binary StreamData (proto/marketpulse/
 * realtime/v1/stream.proto); `marketpulse.v1.compact` as a JSON array (stream_compact.ts);
 * `marketpulse.v1.json`, like offering none, as seed 002's JSON object.
 */
export const STREAM_SUBPROTOCOLS = ['marketpulse.v1.proto', 'marketpulse.v1.compact', 'marketpulse.v1.json'] as const;
export type StreamFormat = 'json' | 'compact' | 'proto';

export function streamFormat(subprotocol: string): StreamFormat {
  return subprotocol === 'marketpulse.v1.proto' ? 'proto' : subprotocol === 'marketpulse.v1.compact' ? 'compact' : 'json';
}

/** Each event type's payload with every field at its proto default: what a frame leaves out and a client fills back. */
const PAYLOAD_DEFAULTS: ReadonlyMap<string, Readonly<Record<string, unknown>>> = new Map(
  EVENT_TYPES.map((type) => {
    const event = events.Event.fromPartial({ payload: { $case: type, [type]: {} } } as events.Event);
    return [type, (event.payload as unknown as Record<string, Record<string, unknown>>)[type]!];
  }),
);

/** A field at its proto default: the scalar default, an empty repeated field or an empty map. */
function isDefault(value: unknown, fallback: unknown): boolean {
  if (value === fallback) return true;
  if (Array.isArray(value)) return value.length === 0 && Array.isArray(fallback);
  return isEmptyMap(value) && isEmptyMap(fallback);
}

function isEmptyMap(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
}

/**
 * Seed 002's DATA message is `{"event": {event_id, event_type, user_id, timestamp, payload},
 * "subscription_type"}`: a frame always carries those, whatever the filters fix, so the seed's
 * clients read them unchanged. Marketpulse events have no user: `source` and `subject` stand in
 * `user_id`'s place (as before issue 19); they are ours, so a filter that fixes them leaves them out.
 */
const OWN_EVENT_FIELDS: ReadonlySet<string> = new Set(['source', 'subject']);

/**
 * What a subscription's frames leave out because its filters already fix them (one value admitted):
 * `source`, `subject` and `payload.<key>` on `events`; a typed item's payload field (`symbol`), never
 * its `event_type`. The client sets them back from its filters (clients/ts/src/stream_items.ts mirrors this).
 */
export function pinnedPaths(type: string, filters: Readonly<Record<string, unknown>>): string[][] {
  const pinned: string[][] = [];
  for (const [path, expected] of Object.entries(filters)) {
    if (Array.isArray(expected) ? expected.length !== 1 : typeof expected === 'object' && expected !== null) continue;
    const parts = path.split('.');
    const fixes =
      type === 'events'
        ? parts.length === 1
          ? OWN_EVENT_FIELDS.has(parts[0]!)
          : parts.length === 2 && parts[0] === 'payload'
        : parts.length === 1 && parts[0] !== 'event_type';
    if (fixes) pinned.push(parts);
  }
  return pinned;
}

/** The event type filters admit when they admit only one (`event_type` to one value). */
export function pinnedType(filters: Readonly<Record<string, unknown>>): string | undefined {
  const expected = filters.event_type;
  const only = Array.isArray(expected) ? (expected.length === 1 ? expected[0] : undefined) : expected;
  return typeof only === 'string' ? only : undefined;
}

/** One subscription's data frames: built once per subscription, used for every publication it receives. */
export interface FrameSpec {
  readonly subscriptionId: string;
  readonly type: string;
  /** Field of `data` holding the item. */
  readonly field: string;
  readonly pinned: readonly (readonly string[])[];
  /** The one event type the filters admit (`event_type`), when they admit one: left out of compact frames only (seed 002 names it). */
  readonly pinnedType?: string;
}

/** The payload without its fields at their proto default, nor those the subscription's filters fix. */
function compactPayload(type: string, data: Readonly<Record<string, unknown>>, pinned: ReadonlySet<string>): Record<string, unknown> {
  const defaults = PAYLOAD_DEFAULTS.get(type);
  const out: Record<string, unknown> = {};
  for (const key in data) {
    const value = data[key];
    if (value === undefined || pinned.has(key) || (defaults && Object.hasOwn(defaults, key) && isDefault(value, defaults[key]))) continue;
    out[key] = value;
  }
  return out;
}

/**
 * An `events` item without the fields the filters fix (`eventPinned`), nor an empty `source` or
 * `subject` (ours, not the seed's). Built without them rather than emptied afterwards: a `delete`
 * turns the object into a dictionary, which JSON.stringify serializes on its slow path (issue 19).
 */
function eventItem(pub: Publication, payload: Record<string, unknown>, eventPinned: ReadonlySet<string>): Record<string, unknown> {
  const item: Record<string, unknown> = { event_id: pub.id, event_type: pub.type };
  if (pub.source !== '' && !eventPinned.has('source')) item.source = pub.source;
  if (pub.subject !== '' && !eventPinned.has('subject')) item.subject = pub.subject;
  item.timestamp = pub.time;
  item.payload = payload;
  return item;
}

/** Fields of an `events` item (`source`, `subject`) that pinned paths fix; none on a typed item, which has neither. */
export function pinnedEventFields(spec: FrameSpec): ReadonlySet<string> {
  return new Set(spec.type === 'events' ? spec.pinned.filter((p) => p.length === 1).map((p) => p[0]!) : []);
}

/** Keys of the payload that pinned paths fix: `payload.<key>` on an `events` item, `<key>` on a typed one. */
function pinnedPayloadKeys(spec: FrameSpec): Set<string> {
  const events = spec.type === 'events';
  return new Set(spec.pinned.filter((p) => p.length === (events ? 2 : 1)).map((p) => p[p.length - 1]!));
}

/**
 * A JSON `data` message in seed 002's shape, every field the seed names included: `data.subscription_type`,
 * and on `events` the item's `event_id`, `event_type`, `timestamp`, `payload`. What we add to the
 * seed goes when it is empty, at its default or said twice (issue 19): no payload field at its
 * proto default, none of our fields a filter fixes (pinnedPaths), no empty `source`/`subject`, no
 * channel, a `trace_id` only when set. An `events` message has no `id` or `timestamp` of its own:
 * its item's `event_id` and `timestamp` are the event's (resume with `since` = `event_id`). A typed
 * item carries its payload only, so its message keeps `id` and `timestamp`. `pos` is there on
 * Kafka. The client package puts back what was left out (clients/ts/src/stream_items.ts).
 */
export function dataMessage(
  spec: FrameSpec,
  pub: Publication,
  payloadPinned = pinnedPayloadKeys(spec),
  eventPinned = pinnedEventFields(spec),
): object {
  const payload = compactPayload(pub.type, pub.data, payloadPinned);
  const message: Record<string, unknown> =
    spec.type === 'events'
      ? {
          type: 'data',
          data: { event: eventItem(pub, payload, eventPinned), subscription_type: 'events' },
          subscription_id: spec.subscriptionId,
        }
      : {
          type: 'data',
          data: { [spec.field]: { event_type: pub.type, ...payload }, subscription_type: spec.type },
          subscription_id: spec.subscriptionId,
          id: pub.id,
          timestamp: pub.time,
        };
  if (pub.pos !== undefined) message.pos = pub.pos;
  if (pub.traceId) message.trace_id = pub.traceId;
  return message;
}

/**
 * The same `data` message as one StreamData (binary): the Event with its `type` left empty (the
 * payload's case names it), `owner` empty, and what the subscription's filters fix left at its default.
 */
export function dataProto(
  spec: FrameSpec,
  pub: Publication,
  payloadPinned = pinnedPayloadKeys(spec),
  eventPinned = pinnedEventFields(spec),
): Uint8Array {
  const known = PAYLOAD_DEFAULTS.has(pub.type);
  let data = pub.data;
  if (payloadPinned.size > 0) {
    const defaults = PAYLOAD_DEFAULTS.get(pub.type) ?? {};
    data = { ...data };
    for (const key of payloadPinned) if (Object.hasOwn(defaults, key)) (data as Record<string, unknown>)[key] = defaults[key];
  }
  const event = events.Event.fromPartial({
    id: pub.id,
    // A type without a payload case (never on the bus) keeps its name.
    type: known ? '' : pub.type,
    source: eventPinned.has('source') ? '' : pub.source,
    subject: eventPinned.has('subject') ? '' : pub.subject,
    time: pub.time,
    ...(known ? { payload: { $case: pub.type, [pub.type]: data } } : {}),
  } as events.Event);
  return realtime.StreamData.encode({ subscription_id: spec.subscriptionId, event, pos: pub.pos ?? '', trace_id: pub.traceId }).finish();
}

/** Encodes a subscription's publications in one format: the hub calls it once per publication and format, whatever the fan-out. */
export function dataFrames(spec: FrameSpec, format: StreamFormat): (pub: Publication) => Frame {
  const payloadPinned = pinnedPayloadKeys(spec);
  const eventPinned = pinnedEventFields(spec);
  if (format === 'proto') return (pub) => binaryFrame(dataProto(spec, pub, payloadPinned, eventPinned));
  if (format === 'compact')
    return (pub) => jsonFrame(dataCompact(spec, pub, compactPayload(pub.type, pub.data, payloadPinned), eventPinned));
  return (pub) => jsonFrame(dataMessage(spec, pub, payloadPinned, eventPinned));
}
