import type { IncomingMessage } from 'node:http';
import { hasScope, type Authenticator } from '../auth';
import { admit, credentialOf } from '../auth_http';
import { RateLimiter } from '../rate_limit';
import { clientAddress, type TrustedProxies } from './client_address';
import { sendJson } from './respond';
import type { RouteHandler } from './router';

export interface OperatorOnlyOptions {
  /** WS_AUTH_REQUIRED: when false these routes stay public, as every door is. */
  required: boolean;
  authenticator: Authenticator;
  /** TRUSTED_PROXIES: whose Forwarded (or X-Forwarded-For) names the client charged for a request without a credential. */
  trustedProxies: TrustedProxies;
  /** The routes and the setting that make them need `ops:read`, as the refusals name them. */
  routes?: string;
  because?: string;
}

/** Budget of the operator routes per verified caller (or per address without one). */
const OPERATOR_RATE = { perMinute: 120, burst: 20 };

type Verdict = { allowed: true } | { allowed: false; status: number; body: object; retryAfterSeconds?: number };

/** Whether a request comes from an operator: a verified credential holding `ops:read` (or `admin`). */
function operatorVerdict(options: OperatorOnlyOptions): (req: IncomingMessage) => Promise<Verdict> {
  const routes = options.routes ?? '/info and /ws/stats';
  const because = options.because ?? 'WS_AUTH_REQUIRED';
  const limiter = new RateLimiter(OPERATOR_RATE);
  return async (req) => {
    const credential = credentialOf(req.headers);
    const { principal, authError, decision } = await admit(
      credential,
      clientAddress(req, options.trustedProxies),
      1,
      options.authenticator,
      limiter,
    );
    if (!decision.allowed) {
      return {
        allowed: false,
        status: 429,
        retryAfterSeconds: decision.retryAfterSeconds,
        body: { error: { code: 'RATE_LIMITED', message: `too many requests; retry in ${decision.retryAfterSeconds} s` } },
      };
    }
    if (!principal) {
      const why = authError ?? 'send Authorization: Bearer <JWT or API key>';
      return {
        allowed: false,
        status: 401,
        body: { error: { code: 'UNAUTHENTICATED', message: `authentication required (${because}): ${why}` } },
      };
    }
    if (!hasScope(principal, 'ops:read')) {
      return {
        allowed: false,
        status: 403,
        body: { error: { code: 'FORBIDDEN', message: `this credential lacks the 'ops:read' scope needed for ${routes} (${because})` } },
      };
    }
    return { allowed: true };
  };
}

/**
 * Wraps the operator routes (/info, /ws/stats): they follow the authentication setting. With
 * WS_AUTH_REQUIRED they need a credential holding the `ops:read` scope (or `admin`); callers are
 * rate limited like the API (admit: verified principals, else the client address, before any
 * database look-up). The public port's /metrics uses it too, in the production profile (service.ts).
 */
export function operatorOnly(options: OperatorOnlyOptions): (handler: RouteHandler) => RouteHandler {
  if (!options.required) return (handler) => handler;
  const verdict = operatorVerdict(options);
  return (handler) => async (req, res, url) => {
    const v = await verdict(req);
    if (v.allowed) return handler(req, res, url);
    if (v.retryAfterSeconds !== undefined) res.setHeader('retry-after', String(v.retryAfterSeconds));
    return sendJson(res, v.status, v.body);
  };
}

/**
 * For the public probes (/health, /readyz), which answer everyone: whether this caller may also read
 * what each check said. Those details name every service's address, the database's host and
 * folder, and an error's text; with WS_AUTH_REQUIRED only operators read them, as /info.
 */
export function operatorDetails(options: OperatorOnlyOptions): (req: IncomingMessage) => Promise<boolean> {
  if (!options.required) return () => Promise.resolve(true);
  const verdict = operatorVerdict(options);
  // A probe without a credential (a load balancer's) spends no operator budget.
  return async (req) => credentialOf(req.headers) !== undefined && (await verdict(req)).allowed;
}
