import { initTRPC } from '@trpc/server';
import type { OpenApiMeta } from 'trpc-to-openapi';
import { hasScope, type Principal, type Scope } from '../auth';
import type { ApiContext } from './context';
import { forbidden, toApiError, unauthenticated } from './errors';

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
    if (!ctx.principal) throw unauthenticated(ctx.authError ?? 'authentication required: send Authorization: Bearer <JWT> or X-API-Key: <key>');
    if (!hasScope(ctx.principal, scope)) throw forbidden(scope);
    return next({ ctx: { ...ctx, principal: ctx.principal as Principal } });
  });
}
