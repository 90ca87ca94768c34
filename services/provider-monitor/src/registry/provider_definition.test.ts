import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config';
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

  it('refuses a URL carrying a user name or password: fetch would quote it whole in every check', () => {
    expect(() => parseProviders(JSON.stringify([{ name: 'p', url: 'http://bob:S1@127.0.0.1:1/ui?token=S2' }]), d)).toThrow(
      /MONITOR_PROVIDERS\[0\]\.url: url must not carry a user name or password/,
    );
  });

  it('refuses a bad entry with the rest of the configuration, so --check-config finds it too', () => {
    expect(() => loadConfig({ MONITOR_PROVIDERS: '[{"name":"a","url":"http://127.0.0.1:1/x","interval_seconds":-5}]' })).toThrow(
      /MONITOR_PROVIDERS: MONITOR_PROVIDERS\[0\]\.interval_seconds/,
    );
    // V8's JSON message quotes the text around the fault; the refusal does not.
    expect(() => parseProviders('[{"url":"http://h/?apikey=SECRETKEY" oops}]', d)).toThrow(/^MONITOR_PROVIDERS is not valid JSON \(/);
  });

  it('names the entry and field that is wrong', () => {
    expect(() => parseProviders('[{"name":"a"}]', d)).toThrow(/MONITOR_PROVIDERS\[0\]\.url/);
    expect(() => parseProviders('[{"name":"a","url":"http://x.test","colour":1}]', d)).toThrow(/MONITOR_PROVIDERS\[0\]/);
    expect(() => parseProviders('{', d)).toThrow('not valid JSON');
    expect(() => parseProviders('[{"name":"a","url":"http://x.test"},{"name":"A","url":"http://y.test"}]', d)).toThrow('listed twice');
  });

  it('refuses, at start-up, text that no store or event takes: NUL, control characters, lone surrogates', () => {
    // As an operator writes them: JSON escapes inside MONITOR_PROVIDERS.
    const cases: [string, RegExp][] = [
      ['{"name":"a\\u0000b","url":"http://x.test"}', /\[0\]\.name: name must not contain control characters/],
      ['{"name":"a\\ud800","url":"http://x.test"}', /\[0\]\.name: .*lone surrogates/],
      ['{"name":"a","category":"c\\u0000","url":"http://x.test"}', /\[0\]\.category/],
      ['{"name":"a","url":"\\u0000http://x.test/\\u0000"}', /\[0\]\.url: url must not contain/],
      ['{"name":"a","url":"http://x.test","headers":{"x-key":"v\\r\\nx-injected: 1"}}', /\[0\]\.headers\.x-key: a header value/],
      ['{"name":"a","url":"http://x.test","api_key_env":"K\\u0000"}', /\[0\]\.api_key_env/],
    ];
    for (const [entry, message] of cases) expect(() => parseProviders(`[${entry}]`, d), entry).toThrow(message);
  });
});
