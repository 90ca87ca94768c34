/** Gateway-wide WebSocket counters, reported by /ws/stats (names follow seed 002's get_stats). */
export interface WsCounters {
  total_connections: number;
  messages_sent: number;
  messages_received: number;
  rejected_at_capacity: number;
  rejected_origin: number;
  auth_failures: number;
  slow_disconnects: number;
  heartbeat_timeouts: number;
  rate_limit_disconnects: number;
}

export function newCounters(): WsCounters {
  return {
    total_connections: 0,
    messages_sent: 0,
    messages_received: 0,
    rejected_at_capacity: 0,
    rejected_origin: 0,
    auth_failures: 0,
    slow_disconnects: 0,
    heartbeat_timeouts: 0,
    rate_limit_disconnects: 0,
  };
}
