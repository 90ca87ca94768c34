import { AuthError, type Authenticator, type Principal } from '../auth';
import type { RateDecision, RateLimiter } from '../rate_limit';

/** Who a request is, and whether its budget allows it. */
export interface Admission {
  /** The verified caller; null without a credential, or when it was refused (authError says why). */
  principal: Principal | null;
  authError?: string;
  decision: RateDecision;
}

/**
 * Rate limits keyed on verified principals, checked before any database work. A request is charged
 * to its verified user (`user:<id>`), so a client cannot dodge its limit by varying the credential;
 * a request without a valid credential is charged to its client address. A credential that needs
 * a database look-up (an API key not known to be bad) is charged to the address before the look-up,
 * so a flood of random keys is stopped by the address's budget instead of reaching PostgreSQL.
 */
export async function admit(
  credential: string | undefined,
  address: string,
  cost: number,
  authenticator: Authenticator,
  limiter: RateLimiter,
): Promise<Admission> {
  const byAddress = `addr:${address}`;
  if (!credential) return { principal: null, decision: limiter.take(byAddress, cost) };
  const lookup = authenticator.needsLookup(credential);
  if (lookup) {
    const before = limiter.take(byAddress, cost);
    if (!before.allowed) return { principal: null, decision: before };
  }
  try {
    const principal = await authenticator.verify(credential);
    return { principal, decision: limiter.take(`user:${principal.userId}`, cost) };
  } catch (err) {
    if (!(err instanceof AuthError)) throw err;
    return { principal: null, authError: err.message, decision: lookup ? { allowed: true } : limiter.take(byAddress, cost) };
  }
}
