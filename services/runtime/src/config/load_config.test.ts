import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { commonConfigSchema, ConfigError, loadConfig, renderEnvDocs, serviceConfigSchema } from './index';

describe('loadConfig', () => {
  it('applies the documented defaults when nothing is set', () => {
    const config = loadConfig(commonConfigSchema, {});
    expect(config).toMatchObject({
      LOG_LEVEL: 'info',
      BUS: 'memory',
      KAFKA_BROKERS: '127.0.0.1:9092',
      KAFKA_TOPIC_PREFIX: 'marketpulse.',
      PGLITE_DIR: '.data',
      HEALTH_CHECK_INTERVAL_MS: 5000,
      DATABASE_POOL_SIZE: 10,
    });
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it('lists every bad variable with what was expected and what it got', () => {
    let error: unknown;
    try {
      loadConfig(commonConfigSchema, { KAFKA_BROKERS: '', BUS: 'rabbit', HEALTH_CHECK_INTERVAL_MS: 'soon' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(/^invalid configuration: /);
    expect(message).toContain("KAFKA_BROKERS: expected host:port list, got ''");
    expect(message).toContain("BUS: expected memory or kafka, got 'rabbit'");
    expect(message).toContain("HEALTH_CHECK_INTERVAL_MS: expected a positive number of milliseconds, got 'soon'");
    expect((error as ConfigError).problems).toHaveLength(3);
  });

  it('reports a missing required service variable as unset', () => {
    const schema = serviceConfigSchema('alerting', { API_KEY: z.string({ error: 'expected an API key' }).describe('key') });
    expect(() => loadConfig(schema, {})).toThrow('API_KEY: expected an API key, got nothing (unset)');
    expect(loadConfig(schema, { API_KEY: 'k' }).SERVICE_NAME).toBe('alerting');
  });

  it('refuses a database pool of no connections or of more than the server could take', () => {
    expect(() => loadConfig(commonConfigSchema, { DATABASE_POOL_SIZE: '0' })).toThrow(
      "DATABASE_POOL_SIZE: expected a positive integer, got '0'",
    );
    expect(() => loadConfig(commonConfigSchema, { DATABASE_POOL_SIZE: '5000' })).toThrow(
      "DATABASE_POOL_SIZE: expected at most 1000 connections, got '5000'",
    );
    expect(loadConfig(commonConfigSchema, { DATABASE_POOL_SIZE: '4' }).DATABASE_POOL_SIZE).toBe(4);
  });

  it('accepts a broker list and a postgres URL', () => {
    const config = loadConfig(commonConfigSchema, { KAFKA_BROKERS: 'a:9092,b:9093', DATABASE_URL: 'postgres://u@h:5432/db', BUS: 'kafka' });
    expect(config.KAFKA_BROKERS).toBe('a:9092,b:9093');
    expect(config.BUS).toBe('kafka');
  });
});

describe('renderEnvDocs', () => {
  it('renders one Markdown row per variable with its default and description', () => {
    const table = renderEnvDocs(
      serviceConfigSchema('alerting', { RULES_LIMIT: z.coerce.number().default(100).describe('Max rules per user.') }),
    );
    const lines = table.trim().split('\n');
    expect(lines[0]).toBe('| Variable | Default | Description |');
    expect(lines).toContain(
      '| `SERVICE_NAME` | `alerting` | Name of this process in logs, traces, Kafka client ids and its database schema. |',
    );
    expect(lines).toContain('| `RULES_LIMIT` | `100` | Max rules per user. |');
    expect(table).toContain('| `DATABASE_URL` | (unset) |');
  });
});
