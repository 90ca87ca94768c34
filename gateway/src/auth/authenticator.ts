import { createHash } from 'node:crypto';
import type { ApiKeyStore } from './api_key_store';
import { API_KEY_PATTERN } from './api_key_store_db';
import { AuthError } from './auth_error';
import { createJwtVerifier, DEFAULT_JWT_MAX_LIFETIME_SECONDS } from './jwt';
import type { KeyRevocations } from './key_revocations';
import { readableChannels, type Principal, type Scope } from './principal';
import { UnknownKeys } from './unknown_keys';

/** The one verifier of every credential the gateway takes: REST, tRPC, publish gRPC and every WebSocket door. */
export interface Authenticator {
  /** The credential's principal, or AuthError saying why not. */
  verify(credential: string): Promise<Principal>;
  /**
   * Whether verify() would ask the database (an API key not known to be bad): callers charge such
   * a request to the client's address before it can cost a look-up.
   */
  needsLookup(credential: string): boolean;
  /** When keys come from a store: how a verified key's holder learns it stopped being live. */
  readonly revocations?: KeyRevocations;
}

export interface AuthenticatorOptions {
  /** HS256 secret (JWT_SECRET). */
  jwtSecret?: string;
  /** JWKS document URL for RS256 JWTs (JWKS_URL). */
  jwksUrl?: string;
  /** Scopes of a JWT that names none (API_DEFAULT_SCOPES). */
  defaultScopes: readonly Scope[];
  /** Longest JWT lifetime accepted (JWT_MAX_LIFETIME_SECONDS). */
  jwtMaxLifetimeSeconds?: number;
  /** Keys created through `POST /api/v1/api-keys`; absent when the gateway serves no API. */
  apiKeys?: ApiKeyStore;
  /** Keys from configuration (WS_API_KEYS): key -> channel patterns; they hold the `read` scope. */
  staticKeys?: ReadonlyMap<string, readonly string[]>;
  /** How often open connections' store keys are re-checked (WS_API_KEY_RECHECK_SECONDS * 1000); 0: never. */
  apiKeyRecheckMs?: number;
  /** How long a key found unknown is refused without a look-up (API_KEY_UNKNOWN_CACHE_SECONDS * 1000). */
  unknownKeyCacheMs?: number;
}

export const DEFAULT_API_KEY_RECHECK_SECONDS = 30;
export const DEFAULT_API_KEY_UNKNOWN_CACHE_SECONDS = 60;

const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/;
const STATIC_KEY_SCOPES: readonly Scope[] = ['read'];
const UNKNOWN_KEY = 'API key unknown, revoked or expired';

/**
 * A token shaped like a JWT is only ever checked as one, so an API key can never be mistaken for
 * a JWT; anything else is a configured key or one created through the API (looked up by hash,
 * unless it was found unknown moments ago).
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const verifyJwt = createJwtVerifier(
    { secret: options.jwtSecret, jwksUrl: options.jwksUrl },
    options.defaultScopes,
    options.jwtMaxLifetimeSeconds ?? DEFAULT_JWT_MAX_LIFETIME_SECONDS,
  );
  const store = options.apiKeys;
  const unknown = new UnknownKeys(options.unknownKeyCacheMs ?? DEFAULT_API_KEY_UNKNOWN_CACHE_SECONDS * 1000);
  const revocations: KeyRevocations | undefined = store && {
    onRevoked: (listener) => store.onRevoked(listener),
    deadKeys: (keyIds) => store.deadKeys(keyIds),
    recheckMs: options.apiKeyRecheckMs ?? DEFAULT_API_KEY_RECHECK_SECONDS * 1000,
  };
  const needsLookup = (credential: string) =>
    store !== undefined &&
    !JWT_SHAPE.test(credential) &&
    !options.staticKeys?.has(credential) &&
    API_KEY_PATTERN.test(credential) &&
    !unknown.has(credential);
  return {
    revocations,
    needsLookup,
    async verify(credential) {
      if (JWT_SHAPE.test(credential)) return verifyJwt(credential);
      const channels = options.staticKeys?.get(credential);
      if (channels) return { userId: staticKeyUser(credential), scopes: STATIC_KEY_SCOPES, channels, method: 'api_key' };
      if (!needsLookup(credential)) throw new AuthError(UNKNOWN_KEY);
      const record = await store!.verify(credential);
      if (!record) {
        unknown.add(credential);
        throw new AuthError(UNKNOWN_KEY);
      }
      return {
        userId: record.user_id,
        scopes: record.scopes,
        channels: readableChannels(record.scopes, record.channels),
        method: 'api_key',
        keyId: record.id,
        ...(record.expires_at ? { expiresAt: Date.parse(record.expires_at) } : {}),
      };
    },
  };
}

/**
 * The user a WS_API_KEYS key acts as: named by a digest of the key. Named by the key's first eight
 * characters, it was logged (as `enduser.id`) in full for a short key and in part for a long one,
 * and two keys with the same first eight characters were one user, each seeing the other's webhooks.
 */
function staticKeyUser(key: string): string {
  return `api_key:${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}
