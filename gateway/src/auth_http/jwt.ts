import { jwtVerify, type JWTPayload } from 'jose';
import { isScope, type Principal, type Scope } from './principal';

export class CredentialError extends Error {
  readonly code = 'UNAUTHENTICATED';
}

/**
 * Verifies an HS256 JWT and reads its caller: `user_id` (seed 003) or `sub` for the owner,
 * `scopes` (array) or `scope` (space-separated, OAuth style) for the scopes; a token naming no
 * scope gets `defaultScopes`. Unknown scope names are ignored, not granted.
 */
export async function verifyJwt(token: string, secret: Uint8Array, defaultScopes: readonly Scope[]): Promise<Principal> {
  let payload: JWTPayload;
  try {
    payload = (await jwtVerify(token, secret, { algorithms: ['HS256'] })).payload;
  } catch (err) {
    throw new CredentialError(`bearer token rejected: ${(err as Error).message}`);
  }
  const userId = typeof payload.user_id === 'string' && payload.user_id ? payload.user_id : payload.sub;
  if (!userId) throw new CredentialError('bearer token names no user: set its "sub" (or "user_id") claim');
  return { userId, scopes: scopesOf(payload) ?? defaultScopes, method: 'jwt' };
}

function scopesOf(payload: JWTPayload): Scope[] | undefined {
  const raw = Array.isArray(payload.scopes) ? payload.scopes : typeof payload.scope === 'string' ? payload.scope.split(/\s+/) : undefined;
  if (!raw) return undefined;
  return raw.filter((s): s is Scope => typeof s === 'string' && isScope(s));
}
