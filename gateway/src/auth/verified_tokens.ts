import { OrderedMap } from '@marketpulse/runtime';
import type { Principal } from './principal';

/** Most tokens kept; a token longer than MAX_TOKEN_CHARS is verified every time instead. */
export const VERIFIED_TOKENS_MAX = 1_000;
const MAX_TOKEN_CHARS = 4_096;

/**
 * JWTs whose signature and claims passed lately, with the caller they name, so a client that sends
 * the same token with every request pays for its check once (issue 19: an HS256 check through
 * WebCrypto cost ~330 µs of the event loop, a third of a publish request's own work at 100
 * requests/s). Only successes are kept, each until its `exp` (checked on every hit, so a kept token
 * expires on time); bounded by count, the oldest out first. A JWKS key withdrawn while one of its
 * tokens is kept stops that token at its `exp`, as for an open WebSocket.
 */
export class VerifiedTokens {
  private readonly kept = new OrderedMap<string, Principal>();

  constructor(private readonly max = VERIFIED_TOKENS_MAX) {}

  get(token: string, now = Date.now()): Principal | undefined {
    const principal = this.kept.get(token);
    if (principal === undefined) return undefined;
    if (principal.expiresAt === undefined || now < principal.expiresAt) return principal;
    this.kept.delete(token);
    return undefined;
  }

  keep(token: string, principal: Principal): void {
    if (token.length > MAX_TOKEN_CHARS || this.max === 0) return;
    if (this.kept.size >= this.max && !this.kept.has(token)) this.kept.delete(this.kept.oldestKey()!);
    this.kept.set(token, Object.freeze({ ...principal }));
  }
}
