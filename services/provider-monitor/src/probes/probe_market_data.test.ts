import { describe, expect, it } from 'vitest';
import { MarketDataFeedProbe } from './probe_market_data';

const stats = (calls: number, status: string) => ({
  provider: 'simulated',
  calls: String(calls),
  failures: '0',
  failure_rate: 0,
  latency_avg_ms: 12,
  latency_p50_ms: 10,
  latency_p95_ms: 20,
  latency_p99_ms: 30,
  last_error: status === 'offline' ? 'feed stopped' : '',
  status,
});

describe('MarketDataFeedProbe', () => {
  it('reports the feed status market-data sees and counts new calls against the rate limit', async () => {
    let answer = stats(100, 'online');
    const probe = new MarketDataFeedProbe('simulated', async () => answer);
    expect(await probe.check()).toMatchObject({ ok: true, reported_status: 'online', calls: 0, latency_ms: 12 });
    answer = stats(130, 'degraded');
    expect(await probe.check()).toMatchObject({ ok: true, reported_status: 'degraded', calls: 30, record_count: 30 });
    answer = stats(130, 'offline');
    expect(await probe.check()).toMatchObject({ ok: false, reported_status: 'offline', error_message: 'feed stopped' });
  });

  it('fails when market-data does not answer or no longer knows the feed', async () => {
    const down = new MarketDataFeedProbe('simulated', async () => {
      throw new Error('UNAVAILABLE');
    });
    expect(await down.check()).toMatchObject({ ok: false, error_type: 'connection_error', calls: 0 });
    const gone = new MarketDataFeedProbe('simulated', async () => undefined);
    expect((await gone.check()).error_message).toContain('no longer reports');
  });
});
