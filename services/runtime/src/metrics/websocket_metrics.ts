import type { Counter } from 'prom-client';
import { counter, gauge } from './registry';

/** What the gateway's WsGateway.stats() reports; read at scrape time. */
export interface WebSocketFigures {
  connections_by_door: Record<string, number>;
  /**
   * Counters since start: messages_sent, messages_received, total_connections, and refusals or
   * disconnects by reason (rejected_at_capacity, auth_failures, slow_disconnects, ...).
   */
  counters: Record<string, number>;
}

const NAMED: Record<string, { name: string; help: string }> = {
  messages_sent: { name: 'marketpulse_ws_messages_sent_total', help: 'Messages sent to WebSocket clients.' },
  messages_received: { name: 'marketpulse_ws_messages_received_total', help: 'Messages received from WebSocket clients.' },
  total_connections: { name: 'marketpulse_ws_connections_opened_total', help: 'WebSocket connections accepted.' },
};

let read: (() => WebSocketFigures) | undefined;
const seen = new Map<string, number>();

/** Adds a source counter's growth since the last scrape (prom-client counters only go up). */
function follow(c: Counter<string>, key: string, labels: Record<string, string>, now: number): void {
  const before = seen.get(key) ?? 0;
  // A smaller figure means a new source (a gateway restarted in this process): it counts from zero.
  const delta = now >= before ? now - before : now;
  seen.set(key, now);
  if (delta > 0) c.inc(labels, delta);
}

/**
 * Exposes the gateway's WebSocket figures, read from `source` (e.g. `() => ws.stats()`) at every
 * scrape: marketpulse_ws_connections{door}, marketpulse_ws_messages_sent_total,
 * marketpulse_ws_messages_received_total, marketpulse_ws_connections_opened_total and
 * marketpulse_ws_refusals_total{reason} for every other counter. A later call replaces the source.
 */
export function registerWebSocketMetrics(source: () => WebSocketFigures): void {
  read = source;
  gauge<'door'>({
    name: 'marketpulse_ws_connections',
    help: 'Open WebSocket connections by door.',
    labelNames: ['door'],
    collect() {
      this.reset();
      for (const [door, n] of Object.entries(read?.().connections_by_door ?? {})) this.set({ door }, n);
    },
  });
  for (const [key, spec] of Object.entries(NAMED)) {
    counter({
      ...spec,
      collect() {
        follow(this, key, {}, read?.().counters[key] ?? 0);
      },
    });
  }
  counter<'reason'>({
    name: 'marketpulse_ws_refusals_total',
    help: 'WebSocket connections refused or closed by a limit, by reason (rejected_at_capacity, rejected_origin, auth_failures, slow_disconnects, heartbeat_timeouts, rate_limit_disconnects).',
    labelNames: ['reason'],
    collect() {
      for (const [reason, n] of Object.entries(read?.().counters ?? {})) {
        if (!(reason in NAMED)) follow(this as Counter<string>, reason, { reason }, n);
      }
    },
  });
}
