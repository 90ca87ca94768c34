import { envNonNegativeInt, envPositiveInt } from '@marketpulse/runtime';
import { z } from 'zod';
import { DEFAULT_API_KEYS_MAX_PER_USER } from './api_key_limit';
import type { ApiKeyStore } from './api_key_store';
import {
  createAuthenticator,
  DEFAULT_API_KEY_RECHECK_SECONDS,
  DEFAULT_API_KEY_UNKNOWN_CACHE_SECONDS,
  type Authenticator,
} from './authenticator';
import { DEFAULT_JWT_MAX_LIFETIME_SECONDS } from './jwt';
import { isScope, type Scope } from './principal';
import { parseApiKeys } from './static_keys';

const scopeList = z
  .string()
  .transform((s) => s.split(/[\s,]+/).filter(Boolean))
  .refine((list) => list.every(isScope), {
    error:
      'expected scope names (read, webhooks:write, rules:write, scheduler:trigger, models:write, keys:write, publish, publish:any-owner, ops:read, admin)',
  })
  .transform((list) => list as Scope[]);

/** The credentials the gateway accepts, on the API and on every WebSocket door alike. */
export const authConfigShape = {
  JWT_SECRET: z
    .string()
    .min(16, { error: 'expected at least 16 characters' })
    .optional()
    .describe('HS256 secret of the JWTs clients present (and of `mint-token`).'),
  JWKS_URL: z.url({ error: 'expected a URL' }).optional().describe('JWKS document URL for RS256 JWTs.'),
  WS_API_KEYS: z
    .string()
    .default('')
    .describe(
      'API keys from configuration, accepted like keys created through /api/v1/api-keys (with the read scope): comma-separated `key` or `key=channel-pattern channel-pattern` (e.g. `mpk_dev,mpk_md=market-data:* alerts`).',
    ),
  WS_API_KEY_RECHECK_SECONDS: envNonNegativeInt('whole seconds (0 disables)')
    .default(DEFAULT_API_KEY_RECHECK_SECONDS)
    .describe(
      'How often each instance asks the database which API keys behind its open WebSocket connections were revoked (or expired) elsewhere, closing those with 1008; keys revoked through the instance itself close at once. 0 disables the re-check.',
    ),
  JWT_MAX_LIFETIME_SECONDS: envPositiveInt('whole seconds above 0')
    .default(DEFAULT_JWT_MAX_LIFETIME_SECONDS)
    .describe(
      'Longest JWT lifetime accepted: a token whose exp is further than this from its iat (or from now) is refused, as is a token without exp.',
    ),
  API_KEY_UNKNOWN_CACHE_SECONDS: envNonNegativeInt('whole seconds (0 disables)')
    .default(DEFAULT_API_KEY_UNKNOWN_CACHE_SECONDS)
    .describe(
      'How long an API key found unknown (or revoked, or expired) is refused again without a database look-up, so repeating a bad key costs nothing. 0 disables.',
    ),
  API_KEYS_MAX_PER_USER: envPositiveInt('a positive number of keys')
    .max(10_000, { error: 'expected at most 10000 keys' })
    .default(DEFAULT_API_KEYS_MAX_PER_USER)
    .describe(
      "API keys one user may hold that are neither revoked nor expired; creating one more is refused with 429 TOO_MANY_API_KEYS until one is revoked or expires (creates at once, on any instance, take turns). GET /api/v1/api-keys lists every live key and the user's newest revoked or expired ones, at most this many of those.",
    ),
  API_DEFAULT_SCOPES: scopeList
    .default(['read', 'webhooks:write', 'rules:write', 'keys:write'])
    .describe('Scopes of a JWT without a `scopes`/`scope` claim (space- or comma-separated).'),
};

export type AuthConfig = z.output<z.ZodObject<typeof authConfigShape>>;

/** The authenticator these variables describe; `apiKeys` adds the keys created through the API. */
export function authenticatorFromConfig(config: AuthConfig, apiKeys?: ApiKeyStore): Authenticator {
  return createAuthenticator({
    jwtSecret: config.JWT_SECRET,
    jwksUrl: config.JWKS_URL,
    defaultScopes: config.API_DEFAULT_SCOPES,
    jwtMaxLifetimeSeconds: config.JWT_MAX_LIFETIME_SECONDS,
    unknownKeyCacheMs: config.API_KEY_UNKNOWN_CACHE_SECONDS * 1000,
    apiKeys,
    staticKeys: parseApiKeys(config.WS_API_KEYS),
    apiKeyRecheckMs: config.WS_API_KEY_RECHECK_SECONDS * 1000,
  });
}
