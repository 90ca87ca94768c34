import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { AuthError } from './auth_error';
import { isScope, readableChannels, type Principal, type Scope } from './principal';
import { VerifiedTokens } from './verified_tokens';

export interface JwtKeys {
  /** HS256 shared secret (JWT_SECRET). */
  secret?: string;
  /** JWKS document URL for RS256 tokens (JWKS_URL). */
  jwksUrl?: string;
}

export type JwtVerifier = (token: string) => Promise<Principal>;

/** JWT_MAX_LIFETIME_SECONDS' default: a day. */
export const DEFAULT_JWT_MAX_LIFETIME_SECONDS = 86_400;

/**
 * Verifies HS256 (shared secret) and RS256 (JWKS) tokens and reads their caller: `user_id`
 * (seed 003) or `sub` for the owner; `scopes` (array) or `scope` (space-separated, OAuth style),
 * `defaultScopes` when it names none, unknown names ignored, not granted; `channels` (patterns,
 * every channel when absent); `exp` for when an open connection must end. A token must expire, and
 * within `maxLifetimeSeconds` of when it was issued (or of now, whichever is earlier): a leaked
 * token is not a key for ever.
 */
export function createJwtVerifier(
  keys: JwtKeys,
  defaultScopes: readonly Scope[],
  maxLifetimeSeconds = DEFAULT_JWT_MAX_LIFETIME_SECONDS,
): JwtVerifier {
  const secret = keys.secret ? new TextEncoder().encode(keys.secret) : undefined;
  const jwks = keys.jwksUrl ? createRemoteJWKSet(new URL(keys.jwksUrl)) : undefined;
  const verified = new VerifiedTokens();

  return async (token) => {
    const known = verified.get(token);
    if (known) return known;
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw new AuthError('token is not a well-formed JWT');
    }
    let payload: JWTPayload;
    try {
      if (alg === 'HS256' && secret) payload = (await jwtVerify(token, secret, { algorithms: ['HS256'] })).payload;
      else if (alg === 'RS256' && jwks) payload = (await jwtVerify(token, jwks, { algorithms: ['RS256'] })).payload;
      else throw new AuthError(`JWT algorithm ${algName(alg)} is not accepted here (HS256 needs JWT_SECRET, RS256 needs JWKS_URL)`);
    } catch (err) {
      if (err instanceof AuthError) throw err;
      throw new AuthError(`JWT rejected: ${(err as Error).message}`);
    }
    checkLifetime(payload, maxLifetimeSeconds);
    const userId = userIdOf(payload);
    const scopes = scopesOf(payload) ?? defaultScopes;
    const principal: Principal = {
      userId,
      scopes,
      channels: readableChannels(scopes, channelsOf(payload)),
      method: 'jwt',
      expiresAt: payload.exp! * 1000,
    };
    verified.keep(token, principal);
    return principal;
  };
}

/**
 * The owner a token names: `user_id` (seed 003), else `sub`; each must be a non-empty string when
 * present. Anything else is refused rather than turned into text: `{"a":1}` and `{"b":2}` would
 * both become the user "[object Object]", and `["alice"]` would become alice.
 */
function userIdOf(payload: JWTPayload): string {
  const { user_id: userId, sub } = payload;
  if (userId !== undefined && userId !== '') {
    if (typeof userId !== 'string') throw new AuthError('JWT claim "user_id" must be a string naming the user');
    return userId;
  }
  if (sub === undefined || sub === '') throw new AuthError('JWT names no user: set its "sub" (or "user_id") claim');
  if (typeof sub !== 'string') throw new AuthError('JWT claim "sub" must be a string naming the user');
  return sub;
}

function checkLifetime(payload: JWTPayload, maxSeconds: number): void {
  if (typeof payload.exp !== 'number') throw new AuthError('JWT has no "exp" claim: tokens must expire; mint one with an expiry');
  const now = Math.floor(Date.now() / 1000);
  const issued = typeof payload.iat === 'number' ? Math.min(payload.iat, now) : now;
  if (payload.exp - issued > maxSeconds) {
    throw new AuthError(`JWT lifetime is over ${maxSeconds} s (JWT_MAX_LIFETIME_SECONDS): mint a shorter-lived token`);
  }
}

function scopesOf(payload: JWTPayload): Scope[] | undefined {
  const raw = Array.isArray(payload.scopes) ? payload.scopes : typeof payload.scope === 'string' ? payload.scope.split(/\s+/) : undefined;
  if (!raw) return undefined;
  return raw.filter((s): s is Scope => typeof s === 'string' && isScope(s));
}

function channelsOf(payload: JWTPayload): readonly string[] {
  const claim = payload.channels;
  if (claim === undefined) return ['*'];
  if (Array.isArray(claim) && claim.every((c) => typeof c === 'string')) return claim;
  throw new AuthError('JWT claim "channels" must be an array of channel patterns');
}

/**
 * The header's `alg` as the refusal quotes it: it comes from a token nobody has verified yet, and
 * quoted whole, a 900 KB one made a 700 KB log line per refused connection.
 */
function algName(alg: unknown): string {
  if (alg === undefined) return '(none)';
  const text = JSON.stringify(typeof alg === 'string' ? alg : String(alg));
  return text.length > MAX_ALG_QUOTED ? `${text.slice(0, MAX_ALG_QUOTED)}…` : text;
}

const MAX_ALG_QUOTED = 24;
