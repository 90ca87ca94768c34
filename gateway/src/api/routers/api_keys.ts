import { status as GrpcStatus } from '@grpc/grpc-js';
import { z } from 'zod';
import { ALL_SCOPES, hasScope, type Scope } from '../../auth';
import { ApiError, notFound } from '../errors';
import { router, scopedProcedure } from '../trpc';

const TAGS = ['api-keys'];
const ScopeName = z.enum(ALL_SCOPES as [Scope, ...Scope[]]);

const ApiKey = z
  .object({
    id: z.string(),
    user_id: z.string(),
    name: z.string(),
    prefix: z.string(),
    scopes: z.array(z.string()),
    created_at: z.string(),
    last_used_at: z.string().nullable(),
    expires_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
  })
  .meta({ id: 'ApiKey' });

/** The caller's own API keys, under /api/v1/api-keys; a key is shown once, at creation. */
export const apiKeysRouter = router({
  create: scopedProcedure('keys:write')
    .meta({ openapi: { method: 'POST', path: '/api/v1/api-keys', tags: TAGS, summary: 'Create an API key (shown once)', protect: true }, successStatus: 201 })
    .input(
      z.object({
        name: z.string().min(1).max(100),
        scopes: z.array(ScopeName).min(1).describe('At most the scopes of the credential creating it.'),
        expires_at: z.iso.datetime({ offset: true }).optional(),
      }),
    )
    .output(ApiKey.extend({ key: z.string().describe('The key itself; it cannot be shown again.') }))
    .mutation(async ({ ctx, input }) => {
      const beyond = input.scopes.filter((s) => !hasScope(ctx.principal, s));
      if (beyond.length > 0) {
        throw new ApiError(GrpcStatus.PERMISSION_DENIED, 'SCOPE_ESCALATION', `a key cannot have scopes its creator lacks: ${beyond.join(', ')}`, {
          fields: [{ field: 'scopes', message: `not held by this credential: ${beyond.join(', ')}` }],
        });
      }
      const { record, key } = await ctx.apiKeys.create({
        userId: ctx.principal.userId,
        name: input.name,
        scopes: input.scopes,
        expiresAt: input.expires_at ? new Date(input.expires_at) : undefined,
      });
      return { ...record, key };
    }),

  list: scopedProcedure('read')
    .meta({ openapi: { method: 'GET', path: '/api/v1/api-keys', tags: TAGS, summary: 'List API keys', protect: true } })
    .input(z.object({}))
    .output(z.array(ApiKey))
    .query(({ ctx }) => ctx.apiKeys.list(ctx.principal.userId)),

  revoke: scopedProcedure('keys:write')
    .meta({
      openapi: {
        method: 'DELETE',
        path: '/api/v1/api-keys/{id}',
        tags: TAGS,
        summary: 'Revoke an API key',
        description:
          'The key is refused from then on, and the WebSocket connections it opened are closed (1008, "API key revoked"): at once on this gateway instance, within WS_API_KEY_RECHECK_SECONDS on the others.',
        protect: true,
      },
      successStatus: 204,
    })
    .input(z.object({ id: z.string().min(1) }))
    .output(z.void())
    .mutation(async ({ ctx, input }) => {
      if (!(await ctx.apiKeys.revoke(ctx.principal.userId, input.id))) throw notFound(`API key ${input.id}`);
    }),
});
