import type { IncomingHttpHeaders } from 'node:http';
import type { ApiKeyStore } from './api_key_store';
import { CredentialError, verifyJwt } from './jwt';
import type { Principal, Scope } from './principal';

export interface AuthenticatorOptions {
  /** HS256 secret (JWT_SECRET); without it bearer JWTs are refused. */
  jwtSecret?: string;
  apiKeys: ApiKeyStore;
  /** Scopes of a JWT that names none. */
  defaultScopes: readonly Scope[];
}

/** The credential a request presents: `Authorization: Bearer <JWT or API key>` or `X-API-Key`. */
export function credentialOf(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m ? m[1] : auth;
  }
  const key = headers['x-api-key'];
  return Array.isArray(key) ? key[0] : key;
}

export type HttpAuthenticator = (credential: string) => Promise<Principal>;

/**
 * Resolves a credential to its principal, or throws CredentialError saying why not. An API key
 * (`mpk_...`) is looked up by hash; anything else must be a valid HS256 JWT.
 */
export function createHttpAuthenticator(options: AuthenticatorOptions): HttpAuthenticator {
  const secret = options.jwtSecret ? new TextEncoder().encode(options.jwtSecret) : undefined;
  return async (credential) => {
    if (credential.startsWith('mpk_')) {
      const record = await options.apiKeys.verify(credential);
      if (!record) throw new CredentialError('API key unknown, revoked or expired');
      return { userId: record.user_id, scopes: record.scopes, method: 'api_key', keyId: record.id };
    }
    if (!secret) throw new CredentialError('bearer JWTs are not accepted: the gateway has no JWT_SECRET; use an API key');
    if (credential.split('.').length !== 3) throw new CredentialError('credential is neither an API key (mpk_...) nor a JWT');
    return verifyJwt(credential, secret, options.defaultScopes);
  };
}

export { CredentialError };
