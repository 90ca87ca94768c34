import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';

/** Who a connection is and which channels it may read. */
export interface Claims {
  readonly subject: string;
  /**
   * Channel patterns: an exact name, `*` for every channel, or a prefix ending in `*`
   * (`market-data:*`). From the token's `channels` claim; a token without one reads everything.
   */
  readonly channels: readonly string[];
  readonly method: 'jwt' | 'api_key' | 'anonymous';
}

export const ANONYMOUS: Claims = { subject: 'anonymous', channels: ['*'], method: 'anonymous' };

export function canRead(claims: Claims, channel: string): boolean {
  return claims.channels.some((p) => p === '*' || p === channel || (p.endsWith('*') && channel.startsWith(p.slice(0, -1))));
}

/** A token the gateway rejects; `message` says why in words a client developer can act on. */
export class AuthError extends Error {
  readonly code = 'AUTH_FAILED';
}

export interface Authenticator {
  verify(token: string): Promise<Claims>;
}

export interface AuthOptions {
  /** HS256 shared secret. */
  jwtSecret?: string;
  /** JWKS document URL for RS256 tokens. */
  jwksUrl?: string;
  /** API key -> channel patterns. */
  apiKeys: ReadonlyMap<string, readonly string[]>;
}

const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/**
 * Accepts a JWT (HS256 with the shared secret, RS256 against the JWKS) or an API key. A token that
 * looks like a JWT is only ever checked as one, so an API key can never be mistaken for a JWT.
 */
export function createAuthenticator(options: AuthOptions): Authenticator {
  const secret = options.jwtSecret ? new TextEncoder().encode(options.jwtSecret) : undefined;
  const jwks = options.jwksUrl ? createRemoteJWKSet(new URL(options.jwksUrl)) : undefined;

  async function verifyJwt(token: string): Promise<Claims> {
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
      else throw new AuthError(`JWT algorithm ${alg ?? '(none)'} is not accepted here (HS256 needs JWT_SECRET, RS256 needs JWKS_URL)`);
    } catch (err) {
      if (err instanceof AuthError) throw err;
      throw new AuthError(`JWT rejected: ${(err as Error).message}`);
    }
    return { subject: String(payload.sub ?? 'unknown'), channels: channelsClaim(payload), method: 'jwt' };
  }

  return {
    async verify(token) {
      if (JWT_SHAPE.test(token)) return verifyJwt(token);
      const channels = options.apiKeys.get(token);
      if (!channels) throw new AuthError('unknown API key');
      return { subject: `api_key:${token.slice(0, 8)}`, channels, method: 'api_key' };
    },
  };
}

function channelsClaim(payload: JWTPayload): readonly string[] {
  const claim = payload.channels;
  if (claim === undefined) return ['*'];
  if (Array.isArray(claim) && claim.every((c) => typeof c === 'string')) return claim;
  throw new AuthError('JWT claim "channels" must be an array of channel patterns');
}

/**
 * Parses WS_API_KEYS: comma-separated `key=pattern pattern ...` entries; a key without `=` reads
 * every channel (e.g. `mpk_dev,mpk_md=market-data:* alerts`).
 */
export function parseApiKeys(spec: string): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  for (const entry of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [key, patterns] = entry.split('=', 2) as [string, string | undefined];
    keys.set(key.trim(), patterns === undefined ? ['*'] : patterns.trim().split(/\s+/).filter(Boolean));
  }
  return keys;
}
