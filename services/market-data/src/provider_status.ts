import type { market } from '@marketpulse/proto';
import type { ProviderStats } from './providers/provider_stats';

/** A feed that failed this recently, or whose p95 latency is above the limit, is degraded. */
const RECENT_FAILURE_MS = 60_000;
const SLOW_P95_MS = 5000;

export function providerStatus(stats: ProviderStats, nowMs = Date.now()): 'online' | 'degraded' | 'offline' {
  if (!stats.connected) return 'offline';
  if (stats.lastErrorAtMs > 0 && nowMs - stats.lastErrorAtMs < RECENT_FAILURE_MS) return 'degraded';
  if (stats.p95LatencyMs > SLOW_P95_MS) return 'degraded';
  return 'online';
}

export function providerCallStats(stats: ProviderStats): market.ProviderCallStats {
  return {
    provider: stats.provider,
    calls: String(stats.calls),
    failures: String(stats.failures),
    failure_rate: stats.calls === 0 ? 0 : stats.failures / stats.calls,
    latency_avg_ms: stats.avgLatencyMs,
    latency_p50_ms: stats.p50LatencyMs,
    latency_p95_ms: stats.p95LatencyMs,
    latency_p99_ms: stats.p99LatencyMs,
    last_call_at: stats.lastCallAtMs > 0 ? new Date(stats.lastCallAtMs).toISOString() : undefined,
    last_error: stats.lastError,
    status: providerStatus(stats),
  };
}
