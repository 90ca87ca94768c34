import { createHash } from 'node:crypto';
import { channelFor, EVENT_CATALOG, type EventType } from '@marketpulse/runtime';
import { ERROR, type ErrorName } from '../codes';
import type { Connection } from '../connection';
import type { Publication } from '../history';
import type { ChannelEncoder, Route, Router } from '../hub';
import { nowIso, type ClientMessage, type Door } from './door';
import { checkFilters, describeValue } from '../client_values';
import { dataFrames, pinnedPaths, pinnedType, STREAM_SUBPROTOCOLS, streamFormat, type StreamFormat } from './stream_frames';

import { patternCovers, type Principal } from '../../auth';
import { EVENTS_CHANNEL } from '../../visibility';
import type { ResumableEncoder } from '../history/replay_encoders';
import { typeChannel } from '../history/type_channel';

export { EVENTS_CHANNEL };
/** WS_MAX_SUBSCRIPTIONS_PER_CONNECTION's default: each subscription is one more pass over the firehose. */
export const DEFAULT_MAX_SUBSCRIPTIONS = 16;

interface SubscriptionType {
  /** Event types it carries; undefined for all. */
  readonly eventTypes?: ReadonlySet<string>;
  /** The channels those events are published to (patterns); undefined for all. */
  readonly channels?: readonly string[];
  /** Field of `data` holding the item. */
  readonly field: string;
}

/** A subscription type over some event types, drawing from their catalog channels (any symbol). */
function overTypes(types: readonly EventType[], field: string): SubscriptionType {
  const channels = new Set(types.map((type) => channelFor(EVENT_CATALOG[type].channel, '*')));
  return { eventTypes: new Set(types), channels: [...channels], field };
}

/** Seed 002's subscription types, mapped onto Marketpulse event types. */
const SUBSCRIPTION_TYPES: Readonly<Record<string, SubscriptionType>> = {
  events: { field: 'event' },
  metrics: overTypes(['status_update'], 'metrics'),
  alerts: overTypes(['alert_triggered', 'rate_limit_alert'], 'alert'),
  predictions: overTypes(['prediction_complete'], 'prediction'),
  aggregations: overTypes(['aggregation'], 'aggregation'),
  system_status: overTypes(['provider_status_change', 'system_error', 'data_quality_issue'], 'status'),
};

type Filters = Readonly<Record<string, unknown>>;

/**
 * What filters see: for `events` the event itself (event_id, event_type, source, subject,
 * timestamp, payload); for the other types the payload, with event_type beside its fields.
 */
function view(pub: Publication, type: string): Record<string, unknown> {
  if (type === 'events') {
    return { event_id: pub.id, event_type: pub.type, source: pub.source, subject: pub.subject, timestamp: pub.time, payload: pub.data };
  }
  return { event_type: pub.type, ...pub.data };
}

function lookup(value: unknown, path: string): unknown {
  let current = value;
  for (const part of path.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** A filter's value: an exact match, or any of an array's values. */
function admits(expected: unknown, actual: unknown): boolean {
  return Array.isArray(expected) ? expected.includes(actual) : actual === expected;
}

/** Seed 002 filters: dot paths, exact matches, an array means any of its values. */
export function matchesFilters(item: unknown, filters: Filters): boolean {
  for (const [path, expected] of Object.entries(filters)) {
    if (!admits(expected, lookup(item, path))) return false;
  }
  return true;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The same type and filters always get the same subscription id, so every client holding that
 * subscription receives the very same bytes (the id is inside them).
 */
export function subscriptionId(type: string, filters: Filters): string {
  return `sub_${createHash('sha256')
    .update(`${type}\n${canonical(filters)}`)
    .digest('hex')
    .slice(0, 20)}`;
}

/** The `events` view's own fields, read without building the view. */
const EVENT_FIELDS: Readonly<Record<string, (pub: Publication) => unknown>> = {
  event_id: (pub) => pub.id,
  event_type: (pub) => pub.type,
  source: (pub) => pub.source,
  subject: (pub) => pub.subject,
  timestamp: (pub) => pub.time,
  payload: (pub) => pub.data,
};

/** lookup(view(pub, type), path), without a view per publication where the path starts at an `events` field. */
function pathReader(type: string, path: string): (pub: Publication) => unknown {
  const [first = '', ...rest] = path.split('.');
  const field = type === 'events' && Object.hasOwn(EVENT_FIELDS, first) ? EVENT_FIELDS[first] : undefined;
  if (!field) return (pub) => lookup(view(pub, type), path);
  if (rest.length === 0) return field;
  const tail = rest.join('.');
  return (pub) => lookup(field(pub), tail);
}

/** matchesFilters(view(pub, type), filters), with each path split once per subscription rather than per publication. */
function compileFilters(type: string, filters: Filters): (pub: Publication) => boolean {
  const checks = Object.entries(filters).map(([path, expected]) => ({ read: pathReader(type, path), expected }));
  return (pub) => {
    for (const { read, expected } of checks) if (!admits(expected, read(pub))) return false;
    return true;
  };
}

/** Subscriptions routed on the same path of the same type share a router key: the hub indexes them together. */
function routerFor(type: string, path: string): Router {
  return { key: `${type}\n${path}`, read: pathReader(type, path) };
}

/** Paths routed on first when a subscription filters on several: the ones that set bench/fanout's and most clients' subscriptions apart. */
const PREFERRED_PATHS = ['subject', 'payload.symbol', 'symbol', 'event_type'];

/**
 * The hub's index entry for these filters: one filtered path and the values it admits (a
 * subscription matches only publications whose value there is one of them). Undefined without
 * filters: such a subscription is offered every publication of its channels.
 */
export function streamRoute(type: string, filters: Filters): Route | undefined {
  const paths = Object.keys(filters);
  if (paths.length === 0) return undefined;
  const path = PREFERRED_PATHS.find((p) => Object.hasOwn(filters, p)) ?? paths[0]!;
  const expected = filters[path];
  return { router: routerFor(type, path), values: Array.isArray(expected) ? [...new Set<unknown>(expected)] : [expected] };
}

/**
 * Whether a firehose publication reaches a subscriber (its channels, its owner) is the hub's call
 * (visibility.ts), so every client holding the same subscription in the same format shares the
 * same bytes: the key names both, and the hub encodes once per publication and format.
 */
export function streamEncoder(id: string, type: string, filters: Filters, format: StreamFormat = 'json'): ResumableEncoder {
  const spec = SUBSCRIPTION_TYPES[type]!;
  const test = compileFilters(type, filters);
  const frame = dataFrames(
    { subscriptionId: id, type, field: spec.field, pinned: pinnedPaths(type, filters), pinnedType: pinnedType(filters) },
    format,
  );
  return {
    key: format === 'json' ? `stream\n${id}` : `stream.${format}\n${id}`,
    recipe: { door: 'stream', id, type, filters, format },
    route: streamRoute(type, filters),
    encode(pub) {
      if (spec.eventTypes && !spec.eventTypes.has(pub.type)) return null;
      if (!test(pub)) return null;
      return frame(pub);
    },
  };
}

/**
 * The hub channels a subscription type listens on: its event types' own channels, so its resume
 * window depends on its own traffic only; `events` (every type) for the `events` type.
 */
function hubChannels(type: string): string[] {
  const types = SUBSCRIPTION_TYPES[type]?.eventTypes;
  return types ? [...types].map(typeChannel) : [EVENTS_CHANNEL];
}

/** Whether the principal may read any of the channels a subscription type draws from. */
function mayReadType(principal: Principal, type: string): boolean {
  const wanted = SUBSCRIPTION_TYPES[type]?.channels;
  if (principal.channels.length === 0) return false;
  return wanted === undefined || wanted.some((w) => principal.channels.some((p) => patternCovers(p, w) || patternCovers(w, p)));
}

function streamError(name: ErrorName, detail?: string, fields?: Readonly<Record<string, unknown>>): object {
  return { type: 'error', data: { error: ERROR[name].message, code: name, ...(detail ? { detail } : {}), ...fields }, timestamp: nowIso() };
}

/**
 * `/ws/stream`, and `ws://host:WS_NATIVE_PORT/` (seed 002, the native multiplexed protocol):
 * auth / auth_success / auth_failed, subscribe {type, filters, since, position} answered by
 * `subscribed {subscription_id, position}`, unsubscribe {subscription_id}, ping/pong, data
 * {subscription_id, id, pos} (binary on `marketpulse.v1.proto`, an array on `marketpulse.v1.compact`:
 * stream_frames.ts), error.
 */
export function createStreamDoor(maxSubscriptions = DEFAULT_MAX_SUBSCRIPTIONS): Door {
  const subscriptions = new WeakMap<Connection, Map<string, ChannelEncoder>>();
  const typeOf = new WeakMap<ChannelEncoder, string>();

  function subscribe(conn: Connection, msg: ClientMessage): void {
    const data = (msg.data ?? {}) as { type?: unknown; filters?: unknown; since?: unknown; position?: unknown };
    const type = typeof data.type === 'string' ? data.type : '';
    if (!Object.hasOwn(SUBSCRIPTION_TYPES, type))
      return conn.sendError('UNKNOWN_SUBSCRIPTION_TYPE', type ? describeValue(type) : '(missing)');
    const filters = data.filters ?? {};
    const wrong = checkFilters(filters);
    if (wrong) return conn.sendError('INVALID_FILTERS', wrong);
    const held = subscriptions.get(conn) ?? new Map<string, ChannelEncoder>();
    subscriptions.set(conn, held);
    const id = subscriptionId(type, filters as Filters);
    // `id`: the newest event before this subscription's first (a `since` for a client without positions).
    const ack = {
      type: 'subscribed',
      data: { subscription_id: id, type, filters },
      subscription_id: id,
      id: conn.newestId([EVENTS_CHANNEL]) ?? null,
      timestamp: nowIso(),
    };
    if (!mayReadType(conn.principal!, type))
      return conn.sendError('CHANNEL_FORBIDDEN', `${type}: this credential reads none of its channels`);
    // An identical subscription is the one already held: acknowledged again, never a second pass.
    if (held.has(id)) return conn.send(ack);
    if (held.size >= maxSubscriptions)
      return conn.sendError('TOO_MANY_SUBSCRIPTIONS', `at most ${maxSubscriptions} per connection (WS_MAX_SUBSCRIPTIONS_PER_CONNECTION)`);
    const encoder = streamEncoder(id, type, filters as Filters, streamFormat(conn.subprotocol));
    typeOf.set(encoder, type);
    held.set(id, encoder);
    // `position`: where the client stands (see history/position_token.ts); a quiet subscription resumes from it too.
    const from = {
      since: typeof data.since === 'string' ? data.since : undefined,
      // Anything but a string is no position: refused as one (INVALID_POSITION), not ignored.
      position: data.position === undefined || data.position === null ? undefined : typeof data.position === 'string' ? data.position : '',
      subscriptionId: id,
    };
    conn.subscribeFrom(hubChannels(type), encoder, from, (position) => conn.send(position === undefined ? ack : { ...ack, position }));
  }

  function unsubscribe(conn: Connection, msg: ClientMessage): void {
    const id = (msg.data as { subscription_id?: unknown } | undefined)?.subscription_id;
    const encoder = typeof id === 'string' ? subscriptions.get(conn)?.get(id) : undefined;
    if (!encoder) return conn.sendError('SUBSCRIPTION_NOT_FOUND', describeValue(id));
    subscriptions.get(conn)!.delete(id as string);
    // Drops what a read-back holds of it and stops that read-back: the reply is the last the client hears of it, at once.
    conn.unsubscribe(hubChannels(typeOf.get(encoder)!), encoder.key);
    conn.send({ type: 'unsubscribed', data: { subscription_id: id }, subscription_id: id, timestamp: nowIso() });
  }

  return {
    name: 'stream',
    appPing: false,
    subprotocols: STREAM_SUBPROTOCOLS,
    match: (pathname) => (pathname === '/ws/stream' ? {} : null),
    open(conn, _params, { authenticated }) {
      if (authenticated) conn.send({ type: 'auth_success', data: { client_id: conn.id } });
    },
    reauthorized(conn) {
      const held = subscriptions.get(conn);
      if (!held) return;
      for (const [id, encoder] of [...held]) {
        const type = typeOf.get(encoder);
        if (type === undefined || mayReadType(conn.principal!, type)) continue;
        held.delete(id);
        conn.unsubscribe(hubChannels(type), encoder.key);
        conn.send({
          type: 'unsubscribed',
          data: { subscription_id: id, reason: 'CHANNEL_FORBIDDEN' },
          subscription_id: id,
          timestamp: nowIso(),
        });
      }
    },
    message(conn, msg) {
      if (msg.type === 'subscribe') return subscribe(conn, msg);
      if (msg.type === 'unsubscribe') return unsubscribe(conn, msg);
      conn.sendError('UNKNOWN_MESSAGE_TYPE', msg.type);
    },
    error: streamError,
    authReply: (conn, ok, detail) =>
      ok
        ? { type: 'auth_success', data: { client_id: conn.id } }
        : { type: 'auth_failed', data: { error: detail ?? ERROR.AUTH_FAILED.message } },
  };
}
