import { initTRPC } from '@trpc/server';
import type { OpenApiMeta } from 'trpc-to-openapi';
import { hasScope, type Principal, type Scope } from '../auth';
import type { ApiContext } from './context';
import { forbidden, toApiError, unauthenticated } from '../errors';
import { logRefusal } from '../observability/refusal_log';

/** Per-procedure metadata: the REST mapping, plus the status of a successful REST answer. */
export type ApiMeta = OpenApiMeta<{ successStatus?: 200 | 201 | 202 | 204 }>;

const t = initTRPC
  .context<ApiContext>()
  .meta<ApiMeta>()
  .create({
    // Stack traces never leave the gateway, whatever NODE_ENV says.
    isDev: false,
    sse: { ping: { enabled: true, intervalMs: 15_000 }, client: { reconnectAfterInactivityMs: 30_000 } },
    // Unexpected errors are logged by the /trpc handler's onError; here they only lose their detail.
    errorFormatter({ shape, error }) {
      const api = toApiError(error);
      return {
        message: api.message,
        code: shape.code,
        data: { code: api.appCode, httpStatus: api.httpStatus, path: shape.data.path, ...(api.details ? { details: api.details } : {}) },
      };
    },
  });

export const router = t.router;

/** A procedure for callers holding `scope`; no credential is 401, too few scopes 403. */
export function scopedProcedure(scope: Scope) {
  return t.procedure.use(({ ctx, next }) => {
    if (!ctx.principal) {
      const reason = ctx.authError ?? 'authentication required: send Authorization: Bearer <JWT> or X-API-Key: <key>';
      logRefusal(ctx.logger, { transport: 'http', kind: 'unauthenticated', reason });
      throw unauthenticated(reason);
    }
    if (ctx.principal.method === 'anonymous' && !hasScope(ctx.principal, scope)) {
      // Development's anonymous reader: a write needs a credential (the one the suite printed).
      const reason = `'${scope}' needs a credential: send Authorization: Bearer <JWT> (the development token the suite printed, or mint-token --scopes ${scope})`;
      logRefusal(ctx.logger, { transport: 'http', kind: 'unauthenticated', reason });
      throw unauthenticated(reason);
    }
    if (!hasScope(ctx.principal, scope)) {
      logRefusal(ctx.logger, {
        transport: 'http',
        kind: 'forbidden',
        reason: `lacks the '${scope}' scope`,
        principal: ctx.principal,
        needed: scope,
      });
      throw forbidden(scope);
    }
    return next({ ctx: { ...ctx, principal: ctx.principal as Principal } });
  });
}
