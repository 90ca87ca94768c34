import { z } from 'zod';
import type { ApiKeyStore } from './api_key_store';
import { createAuthenticator, type Authenticator } from './authenticator';
import { isScope, type Scope } from './principal';
import { parseApiKeys } from './static_keys';

const scopeList = z
  .string()
  .transform((s) => s.split(/[\s,]+/).filter(Boolean))
  .refine((list) => list.every(isScope), { error: 'expected scope names (read, webhooks:write, rules:write, scheduler:trigger, models:write, keys:write, publish, admin)' })
  .transform((list) => list as Scope[]);

/** The credentials the gateway accepts, on the API and on every WebSocket door alike. */
export const authConfigShape = {
  JWT_SECRET: z.string().min(16, { error: 'expected at least 16 characters' }).optional().describe('HS256 secret of the JWTs clients present (and of `mint-token`).'),
  JWKS_URL: z.url({ error: 'expected a URL' }).optional().describe('JWKS document URL for RS256 JWTs.'),
  WS_API_KEYS: z.string().default('').describe('API keys from configuration, accepted like keys created through /api/v1/api-keys (with the read scope): comma-separated `key` or `key=channel-pattern channel-pattern` (e.g. `mpk_dev,mpk_md=market-data:* alerts`).'),
  API_DEFAULT_SCOPES: scopeList.default(['read', 'webhooks:write', 'rules:write', 'keys:write']).describe('Scopes of a JWT without a `scopes`/`scope` claim (space- or comma-separated).'),
};

export type AuthConfig = z.output<z.ZodObject<typeof authConfigShape>>;

/** The authenticator these variables describe; `apiKeys` adds the keys created through the API. */
export function authenticatorFromConfig(config: AuthConfig, apiKeys?: ApiKeyStore): Authenticator {
  return createAuthenticator({
    jwtSecret: config.JWT_SECRET,
    jwksUrl: config.JWKS_URL,
    defaultScopes: config.API_DEFAULT_SCOPES,
    apiKeys,
    staticKeys: parseApiKeys(config.WS_API_KEYS),
  });
}
