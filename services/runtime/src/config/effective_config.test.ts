import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { commonConfigSchema } from './common_config';
import { ConfigError } from './config_error';
import { loadAllConfigs, redactConfig } from './effective_config';
import { loadConfig } from './load_config';

describe('redactConfig', () => {
  it('hides secrets and URL passwords and keeps everything else', () => {
    const shown = redactConfig({
      JWT_SECRET: 'a-very-long-secret-value',
      WS_API_KEYS: 'k1:alice',
      WEBHOOK_SIGNING_KEY: 'whsec_x',
      DATABASE_URL: 'postgres://app:hunter2@db:5432/marketpulse',
      KAFKA_BROKERS: '127.0.0.1:9092',
      GATEWAY_PORT: 8000,
      JWKS_URL: undefined,
    });
    expect(shown).toEqual({
      JWT_SECRET: '[redacted]',
      WS_API_KEYS: '[redacted]',
      WEBHOOK_SIGNING_KEY: '[redacted]',
      DATABASE_URL: 'postgres://app:redacted@db:5432/marketpulse',
      KAFKA_BROKERS: '127.0.0.1:9092',
      GATEWAY_PORT: 8000,
      JWKS_URL: undefined,
    });
    expect(JSON.stringify(shown)).not.toContain('hunter2');
  });
});

describe('loadAllConfigs', () => {
  it('reports the problems of every part at once, each once, and returns every config when all are valid', () => {
    const env = { LOG_LEVEL: 'verbose', BUS: 'rabbit' };
    let error: unknown;
    try {
      loadAllConfigs({
        a: () => loadConfig(commonConfigSchema, env),
        b: () => loadConfig(commonConfigSchema, { ...env, KAFKA_PARTITIONS: 'many' }),
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toContain("LOG_LEVEL: expected one of fatal|error|warn|info|debug|trace|silent, got 'verbose'");
    expect(problems.join('\n')).toContain("KAFKA_PARTITIONS: expected a positive integer, got 'many'");
    const ok = loadAllConfigs({ a: () => loadConfig(commonConfigSchema, {}), b: () => 7 });
    expect(ok.a.BUS).toBe('memory');
    expect(ok.b).toBe(7);
  });
});

describe('what a configuration shows of its credentials', () => {
  it('hides them in URL queries, unparsable URLs, lists of providers and their headers', () => {
    const shown = redactConfig({
      DATABASE_URL: 'postgres://u@127.0.0.1:1/db?password=supersecretQ&sslmode=disable',
      OTHER_URL: 'postgres://u:super#secretH@db/x',
      MONITOR_PROVIDERS: [
        { name: 'Quotes', url: 'http://127.0.0.1:1/quote?apikey=PROVQUERYKEY&symbol=AAPL', headers: { 'X-Api-Key': 'PROVHEADERKEY' } },
      ],
      suite: { gateway: { JWT_SECRET: 'nested-secret-value' } },
      MONITOR_PROVIDERS_JSON: '[{"name":"Q","url":"http://h/q?token=JSONQUERYTOKEN","headers":{"X-Api-Key":"JSONHEADERKEY"}}]',
      BROKEN_JSON: '[{"url":"http://h/q?token=BROKENTOKEN"',
    });
    const text = JSON.stringify(shown);
    for (const secret of [
      'supersecretQ',
      'secretH',
      'PROVQUERYKEY',
      'PROVHEADERKEY',
      'nested-secret-value',
      'JSONQUERYTOKEN',
      'JSONHEADERKEY',
      'BROKENTOKEN',
    ])
      expect(text).not.toContain(secret);
    expect(JSON.parse(shown.MONITOR_PROVIDERS_JSON as string)).toEqual([
      { name: 'Q', url: 'http://h/q?token=redacted', headers: { 'X-Api-Key': '[redacted]' } },
    ]);
    expect(shown.DATABASE_URL).toBe('postgres://u@127.0.0.1:1/db?password=redacted&sslmode=disable');
    expect(shown.MONITOR_PROVIDERS).toEqual([
      { name: 'Quotes', url: 'http://127.0.0.1:1/quote?apikey=redacted&symbol=AAPL', headers: { 'X-Api-Key': '[redacted]' } },
    ]);
  });

  it('does not quote a secret, a URL password or credentials in JSON when it refuses the value', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(commonConfigSchema.extend({ JWT_SECRET: z.string().min(16), PROVIDERS: z.string().max(1) }), env);
      } catch (err) {
        return (err as ConfigError).problems.join('\n');
      }
      return '';
    };
    const refused = problems({
      JWT_SECRET: 'shortSEC9x',
      DATABASE_URL: 'mysql://u:supersecretDB2@127.0.0.1:1/db',
      PROVIDERS: '[{"url":"http://h/q?token=JSONTOKEN","headers":{"Authorization":"Bearer HDR"}}]',
      KAFKA_BROKERS: '{"not json',
    });
    for (const secret of ['shortSEC9x', 'supersecretDB2', 'JSONTOKEN', 'HDR']) expect(refused).not.toContain(secret);
    expect(refused).toContain('JWT_SECRET: ');
    expect(refused).toContain('a value of 10 characters (not shown: a secret)');
    expect(refused).toContain('mysql://u:redacted@127.0.0.1:1/db');
  });
});
