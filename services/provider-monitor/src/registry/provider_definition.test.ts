import { describe, expect, it } from 'vitest';
import { parseProviders } from './provider_definition';

const d = { interval_seconds: 30, timeout_ms: 5000, degraded_latency_ms: 1000, failures_before_offline: 2 };

describe('parseProviders', () => {
  it('reads providers with defaults and rate limits', () => {
    const [p] = parseProviders(
      JSON.stringify([
        { name: 'CoinGecko', url: 'https://example.test/ping', rate_limit: { limit: 50, per: 'minute' }, interval_seconds: 10 },
      ]),
      d,
    );
    expect(p).toMatchObject({
      name: 'CoinGecko',
      kind: 'http',
      category: 'http_api',
      interval_seconds: 10,
      timeout_ms: 5000,
      rate_limit: { limit: 50, window_seconds: 60, limit_type: 'per_minute' },
    });
  });

  it('names the entry and field that is wrong', () => {
    expect(() => parseProviders('[{"name":"a"}]', d)).toThrow(/MONITOR_PROVIDERS\[0\]\.url/);
    expect(() => parseProviders('[{"name":"a","url":"http://x.test","colour":1}]', d)).toThrow(/MONITOR_PROVIDERS\[0\]/);
    expect(() => parseProviders('{', d)).toThrow('not valid JSON');
    expect(() => parseProviders('[{"name":"a","url":"http://x.test"},{"name":"A","url":"http://y.test"}]', d)).toThrow('listed twice');
  });
});
