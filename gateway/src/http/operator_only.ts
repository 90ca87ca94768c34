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

/**
 * Wraps the operator routes (/info, /ws/stats): they follow the authentication setting. With
 * WS_AUTH_REQUIRED they need a credential holding the `ops:read` scope (or `admin`); callers are
 * rate limited like the API (admit: verified principals, else the client address, before any
 * database look-up). The public port's /metrics uses it too, in the production profile (service.ts).
 */
export function operatorOnly(options: OperatorOnlyOptions): (handler: RouteHandler) => RouteHandler {
  if (!options.required) return (handler) => handler;
  const routes = options.routes ?? '/info and /ws/stats';
  const because = options.because ?? 'WS_AUTH_REQUIRED';
  const limiter = new RateLimiter(OPERATOR_RATE);
  return (handler) => async (req, res, url) => {
    const credential = credentialOf(req.headers);
    const { principal, authError, decision } = await admit(
      credential,
      clientAddress(req, options.trustedProxies),
      1,
      options.authenticator,
      limiter,
    );
    if (!decision.allowed) {
      res.setHeader('retry-after', String(decision.retryAfterSeconds));
      return sendJson(res, 429, {
        error: { code: 'RATE_LIMITED', message: `too many requests; retry in ${decision.retryAfterSeconds} s` },
      });
    }
    if (!principal) {
      const why = authError ?? 'send Authorization: Bearer <JWT or API key>';
      return sendJson(res, 401, { error: { code: 'UNAUTHENTICATED', message: `authentication required (${because}): ${why}` } });
    }
    if (!hasScope(principal, 'ops:read')) {
      return sendJson(res, 403, {
        error: {
          code: 'FORBIDDEN',
          message: `this credential lacks the 'ops:read' scope needed for ${routes} (${because})`,
        },
      });
    }
    return handler(req, res, url);
  };
}
