import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, renderEnvDocs } from '@marketpulse/runtime';
import { describe, expect, it } from 'vitest';
import { gatewayConfigSchema, loadGatewayConfig } from './config';

describe('gateway config', () => {
  it('defaults to the documented ports and limits', () => {
    const c = loadGatewayConfig({});
    expect([c.GATEWAY_PORT, c.WS_PING_INTERVAL_MS, c.WS_NATIVE_PORT, c.WS_ALLOWED_ORIGINS]).toEqual([8000, 30000, 0, []]);
  });

  it('trusts no proxy unless told, and refuses a TRUSTED_PROXIES entry that is not an address or block, naming it', () => {
    expect(loadGatewayConfig({}).TRUSTED_PROXIES).toEqual([]);
    expect(loadGatewayConfig({ TRUSTED_PROXIES: ' 10.0.0.0/8, 192.168.1.5 ,fd00::/8' }).TRUSTED_PROXIES).toEqual([
      '10.0.0.0/8',
      '192.168.1.5',
      'fd00::/8',
    ]);
    expect(() => loadGatewayConfig({ TRUSTED_PROXIES: '10.0.0.0/8,lb.internal,10.0.0.0/33' })).toThrow(
      /TRUSTED_PROXIES: expected comma-separated IP addresses or CIDR blocks .*'lb\.internal', '10\.0\.0\.0\/33' are not/,
    );
  });

  it('refuses settings that cannot work together, naming each', () => {
    expect(() => loadGatewayConfig({ WS_PONG_TIMEOUT_MS: '40000', WS_AUTH_REQUIRED: 'true' })).toThrow(ConfigError);
    try {
      loadGatewayConfig({ WS_PONG_TIMEOUT_MS: '40000', WS_AUTH_REQUIRED: 'true' });
    } catch (err) {
      expect((err as ConfigError).problems).toEqual([
        expect.stringContaining('WS_PONG_TIMEOUT_MS (40000) must be below WS_PING_INTERVAL_MS'),
        expect.stringContaining('no JWT_SECRET, JWKS_URL or WS_API_KEYS'),
      ]);
    }
  });

  it('re-checks API keys of open connections every 30 s unless told otherwise; 0 turns it off, a negative interval is refused', () => {
    expect(loadGatewayConfig({}).WS_API_KEY_RECHECK_SECONDS).toBe(30);
    expect(loadGatewayConfig({ WS_API_KEY_RECHECK_SECONDS: '0' }).WS_API_KEY_RECHECK_SECONDS).toBe(0);
    expect(() => loadGatewayConfig({ WS_API_KEY_RECHECK_SECONDS: '-1' })).toThrow(/WS_API_KEY_RECHECK_SECONDS/);
  });

  it('is documented in the README exactly as the schema describes it', () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    expect(readme).toContain(renderEnvDocs(gatewayConfigSchema));
  });
});
