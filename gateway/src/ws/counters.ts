/** Gateway-wide WebSocket counters, reported by /ws/stats (names follow seed 002's get_stats). */
export interface WsCounters {
  total_connections: number;
  messages_sent: number;
  messages_received: number;
  rejected_at_capacity: number;
  /** Refused (1013) because their address already held WS_MAX_CONNECTIONS_PER_ADDRESS. */
  rejected_per_address: number;
  rejected_origin: number;
  auth_failures: number;
  slow_disconnects: number;
  heartbeat_timeouts: number;
  rate_limit_disconnects: number;
  /** Payload bytes queued for clients and received from them. */
  bytes_sent: number;
  bytes_received: number;
  /** Resume requests (?since= / subscribe since): served from history, or answered CANNOT_RECOVER. */
  resume_recovered: number;
  resume_unrecoverable: number;
}

export function newCounters(): WsCounters {
  return {
    total_connections: 0,
    messages_sent: 0,
    messages_received: 0,
    rejected_at_capacity: 0,
    rejected_per_address: 0,
    rejected_origin: 0,
    auth_failures: 0,
    slow_disconnects: 0,
    heartbeat_timeouts: 0,
    rate_limit_disconnects: 0,
    bytes_sent: 0,
    bytes_received: 0,
    resume_recovered: 0,
    resume_unrecoverable: 0,
  };
}
