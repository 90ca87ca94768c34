import { metricsRegistry } from '@marketpulse/runtime';
import { describe, expect, it } from 'vitest';
import { providerCheckMetrics } from './check_metrics';
import { registerProviderMetrics } from './provider_metrics';

const lines = async (prefix: string) => (await metricsRegistry().metrics()).split('\n').filter((l) => l.startsWith(prefix));

describe('provider metrics', () => {
  it('exposes each provider status as a state set, with latency and rate-limit usage', async () => {
    const stop = registerProviderMetrics(() => [
      { provider: 'binance', status: 'degraded', latencySeconds: 0.8, rateLimit: { used: 900, limit: 1200 } },
      { provider: 'coinbase', status: 'online' },
    ]);
    const status = await lines('marketpulse_provider_status{provider="binance"');
    expect(status).toContain('marketpulse_provider_status{provider="binance",status="degraded"} 1');
    expect(status).toContain('marketpulse_provider_status{provider="binance",status="online"} 0');
    expect(await lines('marketpulse_provider_rate_limit_usage_ratio{')).toEqual([
      'marketpulse_provider_rate_limit_usage_ratio{provider="binance"} 0.75',
    ]);
    expect(await lines('marketpulse_provider_check_latency_seconds{')).toEqual([
      'marketpulse_provider_check_latency_seconds{provider="binance"} 0.8',
    ]);
    stop();
    expect(await lines('marketpulse_provider_status{')).toEqual([]);
  });

  it('counts provider checks by provider and outcome', async () => {
    providerCheckMetrics()('binance', 'timeout');
    expect(await lines('marketpulse_provider_checks_total{')).toEqual([
      'marketpulse_provider_checks_total{provider="binance",outcome="timeout"} 1',
    ]);
  });
});
