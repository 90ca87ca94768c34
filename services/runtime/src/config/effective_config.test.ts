import { describe, expect, it } from 'vitest';
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
