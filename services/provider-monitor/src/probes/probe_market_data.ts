import type { market } from '@marketpulse/proto';
import { failure, type Probe, type ProbeResult } from './probe';

/** What this probe needs from market-data's gRPC API (GetProviderStats). */
export type FeedStatsSource = (provider: string) => Promise<market.ProviderCallStats | undefined>;

/**
 * Checks a market-data feed by asking market-data how the feed is doing: market-data sees the
 * feed's calls, so its status is reported as is, and the calls made since the last check count
 * against the feed's rate limit.
 */
export class MarketDataFeedProbe implements Probe {
  private lastCalls: number | undefined;

  constructor(
    private readonly provider: string,
    private readonly stats: FeedStatsSource,
  ) {}

  async check(): Promise<ProbeResult> {
    const started = performance.now();
    let s: market.ProviderCallStats | undefined;
    try {
      s = await this.stats(this.provider);
    } catch (err) {
      return failure(
        performance.now() - started,
        'connection_error',
        `market-data did not answer for feed ${this.provider}: ${(err as Error).message}`,
        { calls: 0 },
      );
    }
    if (!s) return failure(performance.now() - started, 'http_error', `market-data no longer reports feed ${this.provider}`, { calls: 0 });
    const calls = Number(s.calls);
    const delta = this.lastCalls === undefined ? 0 : Math.max(0, calls - this.lastCalls);
    this.lastCalls = calls;
    const status = s.status === 'online' || s.status === 'degraded' || s.status === 'offline' ? s.status : undefined;
    const ok = status !== 'offline';
    return {
      ok,
      latency_ms: s.latency_avg_ms,
      connection_status: ok ? 'success' : 'failed',
      http_status_code: 0,
      error_type: ok ? '' : 'connection_error',
      error_message: ok ? '' : s.last_error || `market-data reports feed ${this.provider} offline`,
      calls: delta,
      upstream_used: undefined,
      record_count: delta || undefined,
      reported_status: status,
    };
  }
}
