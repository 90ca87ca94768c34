import type { Counter } from 'prom-client';
import { counter, gauge } from '@marketpulse/runtime';

/** What the gateway's WsGateway.stats() reports; read at scrape time. */
export interface WebSocketFigures {
  connections_by_door: Record<string, number>;
  /**
   * Counters since start: messages_sent, messages_received, bytes_sent, bytes_received,
   * total_connections, refusals (rejected_at_capacity, rejected_origin, auth_failures),
   * slow_disconnects, resume_recovered, resume_unrecoverable, ...
   */
  counters: Record<string, number>;
  /** Connections ended since start, by close code. */
  closes_by_code?: Record<string, number>;
  /** Bytes waiting in every send queue now. */
  send_queue_bytes?: number;
}

/** Counters with no label: source counter → metric. */
const PLAIN: Record<string, { name: string; help: string }> = {
  messages_sent: { name: 'marketpulse_ws_messages_sent_total', help: 'Messages sent to WebSocket clients.' },
  messages_received: { name: 'marketpulse_ws_messages_received_total', help: 'Messages received from WebSocket clients.' },
  bytes_sent: { name: 'marketpulse_ws_sent_bytes_total', help: 'Payload bytes queued for WebSocket clients.' },
  bytes_received: { name: 'marketpulse_ws_received_bytes_total', help: 'Payload bytes received from WebSocket clients.' },
  total_connections: { name: 'marketpulse_ws_connections_opened_total', help: 'WebSocket connections accepted.' },
  slow_disconnects: {
    name: 'marketpulse_ws_slow_client_closes_total',
    help: 'WebSocket clients closed (4002) because their send queue exceeded WS_SEND_QUEUE_BYTES.',
  },
};

/** Refusals: source counter → `reason` label of marketpulse_ws_refusals_total. */
const REFUSALS: Record<string, string> = {
  rejected_at_capacity: 'capacity',
  rejected_origin: 'origin',
  auth_failures: 'auth',
};

/** Resume requests: source counter → `outcome` label of marketpulse_ws_resume_reads_total. */
const RESUMES: Record<string, string> = {
  resume_recovered: 'recovered',
  resume_unrecoverable: 'cannot_recover',
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
 * scrape: connections by door, messages and bytes in and out, connections opened, refusals by
 * reason, closes by code, slow-client closes, send-queue bytes and resume reads. A later call
 * replaces the source (the one-process suite, tests that start several gateways).
 */
export function registerWebSocketMetrics(source: () => WebSocketFigures): void {
  read = source;
  // One read per scrape for all families (stats() walks every connection): a snapshot is reused
  // for the rest of the scrape that took it, which runs every collect in one go.
  let snapshot: { at: number; figures: WebSocketFigures | undefined } | undefined;
  const figures = (): WebSocketFigures | undefined => {
    const now = performance.now();
    if (!snapshot || now - snapshot.at > 50) snapshot = { at: now, figures: read?.() };
    return snapshot.figures;
  };
  gauge<'door'>({
    name: 'marketpulse_ws_connections',
    help: 'Open WebSocket connections by door.',
    labelNames: ['door'],
    collect() {
      snapshot = undefined;
      this.reset();
      for (const [door, n] of Object.entries(figures()?.connections_by_door ?? {})) this.set({ door }, n);
    },
  });
  gauge({
    name: 'marketpulse_ws_send_queue_bytes',
    help: 'Bytes waiting in the send queues of all WebSocket connections (a client is closed with 4002 when its own exceeds WS_SEND_QUEUE_BYTES).',
    collect() {
      this.set(figures()?.send_queue_bytes ?? 0);
    },
  });
  for (const [key, spec] of Object.entries(PLAIN)) {
    counter({
      ...spec,
      collect() {
        follow(this, key, {}, figures()?.counters[key] ?? 0);
      },
    });
  }
  counter<'reason'>({
    name: 'marketpulse_ws_refusals_total',
    help: 'WebSocket connections refused, by reason: capacity (1013), origin (1008), auth (1008: bad, missing, expired or revoked credential).',
    labelNames: ['reason'],
    collect() {
      for (const [key, reason] of Object.entries(REFUSALS)) follow(this as Counter<string>, key, { reason }, figures()?.counters[key] ?? 0);
    },
  });
  counter<'code'>({
    name: 'marketpulse_ws_closes_total',
    help: 'WebSocket connections ended, by close code (1000 normal, 1001 going away, 1006 abnormal, 1008 policy, 1009 too big, 1013 capacity, 4001 heartbeat, 4002 slow client, 4003 rate limit, ...).',
    labelNames: ['code'],
    collect() {
      for (const [code, n] of Object.entries(figures()?.closes_by_code ?? {}))
        follow(this as Counter<string>, `close:${code}`, { code }, n);
    },
  });
  counter<'outcome'>({
    name: 'marketpulse_ws_resume_reads_total',
    help: 'Resume requests (?since= or subscribe since) read from the channel history: recovered, or cannot_recover (the id is no longer kept).',
    labelNames: ['outcome'],
    collect() {
      for (const [key, outcome] of Object.entries(RESUMES))
        follow(this as Counter<string>, key, { outcome }, figures()?.counters[key] ?? 0);
    },
  });
}
