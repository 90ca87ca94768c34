import { devSecretPath, mintToken, readDevSecret, readOrCreateDevSecret } from '@marketpulse/gateway';
import type { EnvSource } from '@marketpulse/runtime';
import { startDevProvider, type DevProvider } from './dev_provider';

/** Scopes of the printed development credential: everything a developer does, short of admin. */
export const DEV_CREDENTIAL_SCOPES = [
  'read',
  'webhooks:write',
  'rules:write',
  'keys:write',
  'scheduler:trigger',
  'models:write',
  'publish',
  'ops:read',
];

/** Lifetime of the printed credential: the gateway's longest accepted (JWT_MAX_LIFETIME_SECONDS' default). */
const DEV_CREDENTIAL_TTL_SECONDS = 86_400;

export interface DevelopmentProfile {
  /** Variables the profile sets where the environment leaves them unset. */
  env: Record<string, string>;
  /** File holding the JWT secret mint-token reads (undefined when JWT_SECRET came from the environment). */
  secretFile: string | undefined;
  provider: DevProvider | undefined;
  /** A JWT with DEV_CREDENTIAL_SCOPES, for writes. */
  credential(): Promise<string>;
  close(): Promise<void>;
}

/**
 * The one-process suite's development profile (GATEWAY_ENV unset or development): reads open on
 * REST like on the WebSocket doors, a JWT secret in a file so mint-token works against the running
 * suite, loopback CORS, and providers to watch from the first seconds. GATEWAY_ENV=production
 * leaves everything as configured (undefined).
 */
export async function developmentProfile(env: EnvSource, options: { checkOnly: boolean }): Promise<DevelopmentProfile | undefined> {
  const mode = env.GATEWAY_ENV ?? 'development';
  if (mode !== 'development') return undefined;
  const out: Record<string, string> = { GATEWAY_ENV: 'development' };
  let secretFile: string | undefined;
  let secret = env.JWT_SECRET;
  if (!secret) {
    secretFile = devSecretPath(env.PGLITE_DIR ?? '.data');
    // --check-config writes nothing: a stand-in secret passes validation (it is redacted in the report).
    secret = options.checkOnly ? (readDevSecret(secretFile) ?? 'check-config-placeholder-secret') : readOrCreateDevSecret(secretFile);
    out.JWT_SECRET = secret;
  }
  // Webhooks to a receiver on this machine (the developer's own server) are what a developer tries first.
  if (env.WEBHOOK_ALLOW_LOOPBACK === undefined) out.WEBHOOK_ALLOW_LOOPBACK = 'true';
  let provider: DevProvider | undefined;
  if (env.MONITOR_PROVIDERS === undefined && !options.checkOnly) {
    provider = await startDevProvider({ limitPerMinute: 30 });
    const gatewayPort = env.GATEWAY_PORT ?? '8000';
    out.MONITOR_PROVIDERS = JSON.stringify([
      {
        name: 'Simulated Exchange API',
        category: 'market_data',
        url: provider.url,
        interval_seconds: 5,
        rate_limit: { limit: 30, per: 'minute' },
      },
      { name: 'Marketpulse Gateway', category: 'internal', url: `http://127.0.0.1:${gatewayPort}/livez`, interval_seconds: 10 },
    ]);
  }
  const signing = secret;
  return {
    env: out,
    secretFile,
    provider,
    credential: () =>
      mintToken({
        secret: signing,
        subject: 'dev',
        scopes: DEV_CREDENTIAL_SCOPES,
        ttlSeconds: Math.min(DEV_CREDENTIAL_TTL_SECONDS, Number(env.JWT_MAX_LIFETIME_SECONDS) || DEV_CREDENTIAL_TTL_SECONDS),
      }),
    close: async () => provider?.close(),
  };
}
