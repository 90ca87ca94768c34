import { ConfigError } from '@marketpulse/runtime';
import { describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../config';

describe('GATEWAY_WORKERS', () => {
  it('is unset by default (one worker per core, decided in main.ts) and takes a count from 1 to 256', () => {
    expect(loadGatewayConfig({}).GATEWAY_WORKERS).toBeUndefined();
    expect(loadGatewayConfig({ GATEWAY_WORKERS: '1' }).GATEWAY_WORKERS).toBe(1);
    expect(loadGatewayConfig({ GATEWAY_WORKERS: '4' }).GATEWAY_WORKERS).toBe(4);
  });

  it.each(['0', '-2', 'two', '1.5', '257'])('refuses %s at start-up, naming the variable', (value) => {
    let error: unknown;
    try {
      loadGatewayConfig({ GATEWAY_WORKERS: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.join('\n')).toMatch(/GATEWAY_WORKERS: expected a worker count/);
  });
});
