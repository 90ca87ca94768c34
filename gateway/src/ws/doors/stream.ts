import { createHash } from 'node:crypto';
import { canRead, type Principal } from '../../auth';
import { ERROR, type ErrorName } from '../codes';
import type { Connection } from '../connection';
import { jsonFrame } from '../encode';
import type { Publication } from '../history';
import type { ChannelEncoder } from '../hub';
import { eventFields, nowIso, type ClientMessage, type Door } from './door';

/** Every event goes to this channel too; native subscriptions read it through their filters. */
export const EVENTS_CHANNEL = 'events';

const MAX_SUBSCRIPTIONS = 64;

interface SubscriptionType {
  /** Event types it carries; undefined for all. */
  readonly eventTypes?: ReadonlySet<string>;
  /** Field of `data` holding the item. */
  readonly field: string;
}

/** Seed 002's subscription types, mapped onto Marketpulse event types. */
const SUBSCRIPTION_TYPES: Readonly<Record<string, SubscriptionType>> = {
  events: { field: 'event' },
  metrics: { eventTypes: new Set(['status_update']), field: 'metrics' },
  alerts: { eventTypes: new Set(['alert_triggered', 'rate_limit_alert']), field: 'alert' },
  predictions: { eventTypes: new Set(['prediction_complete']), field: 'prediction' },
  aggregations: { eventTypes: new Set(['aggregation']), field: 'aggregation' },
  system_status: { eventTypes: new Set(['provider_status_change', 'system_error', 'data_quality_issue']), field: 'status' },
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
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The same type and filters always get the same subscription id, so every client holding that
 * subscription receives the very same bytes (the id is inside them).
 */
export function subscriptionId(type: string, filters: Filters): string {
  return `sub_${createHash('sha256').update(`${type}\n${canonical(filters)}`).digest('hex').slice(0, 20)}`;
}

/**
 * Whether a publication on the `events` firehose is for this principal: one of its family
 * channels (e.g. `market-data:AAPL`) must be readable, as if it had subscribed there.
 */
export function readableBy(principal: Principal, pub: { channels: readonly string[] }): boolean {
  return pub.channels.some((c) => c !== EVENTS_CHANNEL && canRead(principal, c));
}

function streamEncoder(id: string, type: string, filters: Filters, principal: Principal): ChannelEncoder {
  const spec = SUBSCRIPTION_TYPES[type]!;
  return {
    // The principal's channels decide which publications pass, so clients share bytes only with equal ones.
    key: `stream\n${id}\n${principal.channels.join(' ')}`,
    encode(pub) {
      if (spec.eventTypes && !spec.eventTypes.has(pub.type)) return null;
      if (!readableBy(principal, pub)) return null;
      const item = view(pub, type);
      if (!matchesFilters(item, filters)) return null;
      return jsonFrame({
        type: 'data',
        data: { [spec.field]: item, subscription_type: type },
        subscription_id: id,
        timestamp: pub.time,
        ...eventFields(pub),
        metadata: { channel: pub.channels[0] },
      });
    },
  };
}

function streamError(name: ErrorName, detail?: string): object {
  return { type: 'error', data: { error: ERROR[name].message, code: name, ...(detail ? { detail } : {}) }, timestamp: nowIso() };
}

/**
 * `/ws/stream`, and `ws://host:WS_NATIVE_PORT/` (seed 002, the native multiplexed protocol):
 * auth / auth_success / auth_failed, subscribe {type, filters, since} answered by `subscribed
 * {subscription_id}`, unsubscribe {subscription_id}, ping/pong, data {subscription_id}, error.
 */
export function createStreamDoor(): Door {
  const subscriptions = new WeakMap<Connection, Map<string, ChannelEncoder>>();

  function subscribe(conn: Connection, msg: ClientMessage): void {
    const data = (msg.data ?? {}) as { type?: unknown; filters?: unknown; since?: unknown };
    const type = typeof data.type === 'string' ? data.type : '';
    if (!(type in SUBSCRIPTION_TYPES)) return conn.sendError('UNKNOWN_SUBSCRIPTION_TYPE', type || '(missing)');
    const filters = data.filters ?? {};
    if (typeof filters !== 'object' || filters === null || Array.isArray(filters)) {
      return conn.sendError('INVALID_MESSAGE', 'filters must be an object of dot paths to values');
    }
    const held = subscriptions.get(conn) ?? new Map<string, ChannelEncoder>();
    subscriptions.set(conn, held);
    const id = subscriptionId(type, filters as Filters);
    const ack = { type: 'subscribed', data: { subscription_id: id, type, filters }, subscription_id: id, timestamp: nowIso() };
    if (held.has(id)) return conn.send(ack);
    if (held.size >= MAX_SUBSCRIPTIONS) return conn.sendError('TOO_MANY_SUBSCRIPTIONS', `limit ${MAX_SUBSCRIPTIONS}`);
    const encoder = streamEncoder(id, type, filters as Filters, conn.principal!);
    held.set(id, encoder);
    conn.send(ack);
    conn.subscribeFrom([EVENTS_CHANNEL], encoder, typeof data.since === 'string' ? data.since : undefined);
  }

  function unsubscribe(conn: Connection, msg: ClientMessage): void {
    const id = (msg.data as { subscription_id?: unknown } | undefined)?.subscription_id;
    const encoder = typeof id === 'string' ? subscriptions.get(conn)?.get(id) : undefined;
    if (!encoder) return conn.sendError('SUBSCRIPTION_NOT_FOUND', String(id));
    subscriptions.get(conn)!.delete(id as string);
    conn.unsubscribe(EVENTS_CHANNEL, encoder.key);
    conn.send({ type: 'unsubscribed', data: { subscription_id: id }, subscription_id: id, timestamp: nowIso() });
  }

  return {
    name: 'stream',
    appPing: false,
    match: (pathname) => (pathname === '/ws/stream' ? {} : null),
    open(conn, _params, { authenticated }) {
      if (authenticated) conn.send({ type: 'auth_success', data: { client_id: conn.id } });
    },
    message(conn, msg) {
      if (msg.type === 'subscribe') return subscribe(conn, msg);
      if (msg.type === 'unsubscribe') return unsubscribe(conn, msg);
      conn.sendError('UNKNOWN_MESSAGE_TYPE', msg.type);
    },
    error: streamError,
    authReply: (conn, ok, detail) =>
      ok ? { type: 'auth_success', data: { client_id: conn.id } } : { type: 'auth_failed', data: { error: detail ?? ERROR.AUTH_FAILED.message } },
  };
}
