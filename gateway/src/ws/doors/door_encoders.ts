import { Frame, jsonFrame } from '../encode';
import type { Publication } from '../history';
import type { ResumableEncoder } from '../history/replay_encoders';

// The encoders of the fixed-channel doors and of the tRPC subscriptions: pure functions of a
// publication, kept apart from the doors (which need the connection, gRPC, tracing...) so the Kafka
// read-back thread builds a resuming client's frames with the very same code (history/replay_encoders.ts).

/** Fields every message that carries an event has: its resume id, its position entry (on Kafka) and its trace id. */
export function eventFields(pub: { id: string; traceId: string; pos?: string }): { id: string; pos?: string; trace_id: string } {
  return pub.pos === undefined ? { id: pub.id, trace_id: pub.traceId } : { id: pub.id, pos: pub.pos, trace_id: pub.traceId };
}

/**
 * A seed door that forwards one event type: `message` gives the seed's fields before `timestamp`
 * and the event fields, in the order the seed writes them.
 */
function oneTypeEncoder(
  door: 'market-data' | 'alerts' | 'predictions',
  eventType: string,
  message: (pub: Publication) => Record<string, unknown>,
): ResumableEncoder {
  return {
    key: door,
    recipe: { door },
    encode: (pub) => (pub.type === eventType ? jsonFrame({ ...message(pub), timestamp: pub.time, ...eventFields(pub) }) : null),
  };
}

/** `/ws/market-data/{symbol}` (seeds 000/001): `data` is the tick. */
export const marketDataEncoder = oneTypeEncoder('market-data', 'market_data_update', (pub) => ({
  type: 'market_data_update',
  symbol: pub.subject,
  data: pub.data,
}));

/** `/ws/alerts` (seeds 000/001): `data` is the Alert with the seed's `type` (its alert_type) beside its fields. */
export const alertsEncoder = oneTypeEncoder('alerts', 'alert_triggered', (pub) => ({
  type: 'alert',
  data: { type: pub.data.alert_type, ...pub.data },
}));

/** `/ws/predictions/{symbol}` (seeds 000/001): prediction_update. */
export const predictionsEncoder = oneTypeEncoder('predictions', 'prediction_complete', (pub) => ({
  type: 'prediction_update',
  symbol: pub.subject,
  data: pub.data,
}));

const PORTFOLIO_TYPES = new Set(['position_update', 'equity_update', 'risk_status_update']);

/**
 * `/ws` (seed 003): position_update, equity_update, risk_status_update and system_log, each
 * `{type, timestamp, data}`; system_error events as ERROR-level system_log entries, the way the
 * seed's logger forwarded errors.
 */
export const tradingEncoder: ResumableEncoder = {
  key: 'trading',
  recipe: { door: 'trading' },
  encode(pub) {
    if (PORTFOLIO_TYPES.has(pub.type) || pub.type === 'system_log') {
      return jsonFrame({ type: pub.type, timestamp: pub.time, data: pub.data, ...eventFields(pub) });
    }
    if (pub.type === 'system_error') {
      const { module, message, code, service, timestamp } = pub.data as Record<string, unknown>;
      const data = { level: 'ERROR', module: module || service, message: code ? `${code}: ${message}` : message, timestamp };
      return jsonFrame({ type: 'system_log', timestamp: pub.time, data, ...eventFields(pub) });
    }
    return null;
  },
};

/**
 * `/ws/live` (seed 004): status_update, new_log_entry, rate_limit_alert, provider_status_change,
 * flat as in the seed. A status_update carries the gateway's client count as it is when encoded.
 */
export function liveEncoder(activeClients: () => number): ResumableEncoder {
  return {
    key: 'live',
    // Read when a read-back starts: the thread's status_updates carry the count of that moment.
    get recipe() {
      return { door: 'live' as const, activeClients: activeClients() };
    },
    encode(pub: Publication) {
      const common = { timestamp: pub.time, ...eventFields(pub) };
      switch (pub.type) {
        case 'status_update':
          return jsonFrame({ type: 'status_update', ...pub.data, active_websocket_clients: activeClients(), ...common });
        case 'rate_limit_alert':
        case 'provider_status_change':
          return jsonFrame({ type: pub.type, ...pub.data, ...common });
        case 'system_log':
        case 'system_error':
          return jsonFrame({ type: 'new_log_entry', log_type: pub.type === 'system_log' ? 'system' : 'error', data: pub.data, ...common });
        default:
          return null;
      }
    },
  };
}

/** One event as a tRPC subscription yields it. */
export interface StreamEvent {
  id: string;
  type: string;
  source: string;
  subject: string;
  time: string;
  trace_id: string;
  channels: readonly string[];
  data: Readonly<Record<string, unknown>>;
}

/** As the hub hands it over: with its arrival order and its Kafka position entry (history/position_token.ts). */
export type Delivered = StreamEvent & { seq: number; pos?: string };

export const toDelivered = (pub: Publication): Delivered => ({
  seq: pub.seq,
  id: pub.id,
  type: pub.type,
  source: pub.source,
  subject: pub.subject,
  time: pub.time,
  trace_id: pub.traceId,
  channels: pub.channels,
  data: pub.data,
  ...(pub.pos !== undefined ? { pos: pub.pos } : {}),
});

/** Every tRPC subscriber shares this encoding: a publication's JSON, made once per publication. */
export const trpcEncoder: ResumableEncoder = {
  key: 'trpc-sse',
  recipe: { door: 'trpc' },
  encode: (pub: Publication) => new Frame(Buffer.from(JSON.stringify(toDelivered(pub)))),
};
