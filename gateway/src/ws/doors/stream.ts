import { createHash } from 'node:crypto';
import { ERROR, type ErrorName } from '../codes';
import type { Connection } from '../connection';
import { jsonFrame } from '../encode';
import type { Publication } from '../history';
import type { ChannelEncoder } from '../hub';
import { nowIso, type ClientMessage, type Door } from './door';
import { checkFilters, describeValue } from '../client_values';

import { patternCovers, type Principal } from '../../auth';
import { EVENTS_CHANNEL } from '../../visibility';
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

/** Seed 002's subscription types, mapped onto Marketpulse event types. */
const SUBSCRIPTION_TYPES: Readonly<Record<string, SubscriptionType>> = {
  events: { field: 'event' },
  metrics: { eventTypes: new Set(['status_update']), channels: ['status'], field: 'metrics' },
  alerts: { eventTypes: new Set(['alert_triggered', 'rate_limit_alert']), channels: ['alerts', 'providers'], field: 'alert' },
  predictions: { eventTypes: new Set(['prediction_complete']), channels: ['predictions:*'], field: 'prediction' },
  aggregations: { eventTypes: new Set(['aggregation']), channels: ['aggregations:*'], field: 'aggregation' },
  system_status: {
    eventTypes: new Set(['provider_status_change', 'system_error', 'data_quality_issue']),
    channels: ['providers', 'system', 'data-quality:*'],
    field: 'status',
  },
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

/** Seed 002 filters: dot paths, exact matches, an array means any of its values. */
export function matchesFilters(item: unknown, filters: Filters): boolean {
  for (const [path, expected] of Object.entries(filters)) {
    const actual = lookup(item, path);
    if (Array.isArray(expected) ? !expected.includes(actual) : actual !== expected) return false;
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

/**
 * Whether a firehose publication reaches a subscriber (its channels, its owner) is the hub's call
 * (visibility.ts), so every client holding the same subscription shares the same bytes.
 */
function streamEncoder(id: string, type: string, filters: Filters): ChannelEncoder {
  const spec = SUBSCRIPTION_TYPES[type]!;
  return {
    key: `stream\n${id}`,
    encode(pub) {
      if (spec.eventTypes && !spec.eventTypes.has(pub.type)) return null;
      if (!matchesFilters(view(pub, type), filters)) return null;
      return jsonFrame(dataMessage(id, type, spec.field, pub));
    },
  };
}

/**
 * A `data` message with no repeated field (issue 19): an `events` item already carries the
 * event's time, so the message has no `timestamp` of its own, and an empty trace id is left out.
 * Payloads stay whole: the client package's types declare every contract field. `id` stays on
 * every message: it is the resume cursor every door and client reads.
 */
export function dataMessage(subscriptionId: string, type: string, field: string, pub: Publication): object {
  const payload = pub.data;
  const events = type === 'events';
  const item = events
    ? { event_id: pub.id, event_type: pub.type, source: pub.source, subject: pub.subject, timestamp: pub.time, payload }
    : { event_type: pub.type, ...payload };
  return {
    type: 'data',
    data: { [field]: item, subscription_type: type },
    subscription_id: subscriptionId,
    ...(events ? {} : { timestamp: pub.time }),
    id: pub.id,
    ...(pub.traceId ? { trace_id: pub.traceId } : {}),
    metadata: { channel: pub.channels[0] },
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

function streamError(name: ErrorName, detail?: string): object {
  return { type: 'error', data: { error: ERROR[name].message, code: name, ...(detail ? { detail } : {}) }, timestamp: nowIso() };
}

/**
 * `/ws/stream`, and `ws://host:WS_NATIVE_PORT/` (seed 002, the native multiplexed protocol):
 * auth / auth_success / auth_failed, subscribe {type, filters, since} answered by `subscribed
 * {subscription_id}`, unsubscribe {subscription_id}, ping/pong, data {subscription_id}, error.
 */
export function createStreamDoor(maxSubscriptions = DEFAULT_MAX_SUBSCRIPTIONS): Door {
  const subscriptions = new WeakMap<Connection, Map<string, ChannelEncoder>>();
  const typeOf = new WeakMap<ChannelEncoder, string>();

  function subscribe(conn: Connection, msg: ClientMessage): void {
    const data = (msg.data ?? {}) as { type?: unknown; filters?: unknown; since?: unknown };
    const type = typeof data.type === 'string' ? data.type : '';
    if (!Object.hasOwn(SUBSCRIPTION_TYPES, type))
      return conn.sendError('UNKNOWN_SUBSCRIPTION_TYPE', type ? describeValue(type) : '(missing)');
    const filters = data.filters ?? {};
    const wrong = checkFilters(filters);
    if (wrong) return conn.sendError('INVALID_FILTERS', wrong);
    const held = subscriptions.get(conn) ?? new Map<string, ChannelEncoder>();
    subscriptions.set(conn, held);
    const id = subscriptionId(type, filters as Filters);
    // `id`: the newest event before this subscription's first; a client that sees nothing on it before
    // a disconnect resumes from there (`since`), so a quiet subscription misses nothing either.
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
    const encoder = streamEncoder(id, type, filters as Filters);
    typeOf.set(encoder, type);
    held.set(id, encoder);
    conn.send(ack);
    conn.subscribeFrom(hubChannels(type), encoder, typeof data.since === 'string' ? data.since : undefined);
  }

  function unsubscribe(conn: Connection, msg: ClientMessage): void {
    const id = (msg.data as { subscription_id?: unknown } | undefined)?.subscription_id;
    const encoder = typeof id === 'string' ? subscriptions.get(conn)?.get(id) : undefined;
    if (!encoder) return conn.sendError('SUBSCRIPTION_NOT_FOUND', describeValue(id));
    subscriptions.get(conn)!.delete(id as string);
    for (const channel of hubChannels(typeOf.get(encoder)!)) conn.unsubscribe(channel, encoder.key);
    conn.send({ type: 'unsubscribed', data: { subscription_id: id }, subscription_id: id, timestamp: nowIso() });
  }

  return {
    name: 'stream',
    appPing: false,
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
        for (const channel of hubChannels(type)) conn.unsubscribe(channel, encoder.key);
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
