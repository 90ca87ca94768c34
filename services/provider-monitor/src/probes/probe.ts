/** One health check of one provider. */
export interface ProbeResult {
  ok: boolean;
  latency_ms: number;
  /** connection log status: success, failed, timeout or rate_limited. */
  connection_status: 'success' | 'failed' | 'timeout' | 'rate_limited';
  http_status_code: number;
  /** Set on failure: timeout, connection_error, http_error, rate_limit, auth_error or parse_error. */
  error_type: string;
  error_message: string;
  /** Calls this check cost against the provider's rate limit (other clients' included, when known). */
  calls: number;
  /** Usage the upstream reported (X-RateLimit-* headers), when it did. */
  upstream_used: number | undefined;
  /** Records the check fetched, for the collection log; undefined when it collected nothing. */
  record_count: number | undefined;
  /** A status the upstream reported about itself. */
  reported_status: 'online' | 'degraded' | 'offline' | undefined;
}

export interface Probe {
  check(): Promise<ProbeResult>;
}

export function failure(latency_ms: number, error_type: string, error_message: string, extra: Partial<ProbeResult> = {}): ProbeResult {
  return {
    ok: false,
    latency_ms,
    connection_status: error_type === 'timeout' ? 'timeout' : error_type === 'rate_limit' ? 'rate_limited' : 'failed',
    http_status_code: 0,
    error_type,
    error_message,
    calls: 1,
    upstream_used: undefined,
    record_count: undefined,
    reported_status: undefined,
    ...extra,
  };
}
