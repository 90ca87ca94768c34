import { status as GrpcStatus } from '@grpc/grpc-js';
import { z } from 'zod';
import { ALL_SCOPES, delegate, type Scope } from '../../auth';
import { ApiError, notFound } from '../../errors';
import { id, isoTime, text } from '../schemas/common';
import { router, scopedProcedure } from '../trpc';

const TAGS = ['api-keys'];
const ScopeName = z.enum(ALL_SCOPES as [Scope, ...Scope[]]);

/** How far ahead a key's expiry may be; a key meant to live longer has none. */
export const MAX_KEY_LIFETIME_DAYS = 3650;

/** An expiry in the future and at most MAX_KEY_LIFETIME_DAYS ahead (year 0020 or 10000 is a typo, not a plan). */
const keyExpiry = isoTime
  .refine((s) => !(Date.parse(s) <= Date.now()), { error: 'must be in the future' })
  .refine((s) => !(Date.parse(s) > Date.now() + MAX_KEY_LIFETIME_DAYS * 86_400_000), {
    error: `must be at most ${MAX_KEY_LIFETIME_DAYS} days ahead; omit expires_at for a key that does not expire`,
  })
  .describe(`When the key stops working: in the future, at most ${MAX_KEY_LIFETIME_DAYS} days ahead; omit for no expiry.`);

const ApiKey = z
  .object({
    id: z.string(),
    user_id: z.string(),
    name: z.string(),
    prefix: z.string(),
    scopes: z.array(z.string()),
    channels: z.array(z.string()).describe('Channel patterns the key may read (with the read scope).'),
    created_at: z.string(),
    last_used_at: z.string().nullable(),
    expires_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
  })
  .meta({ id: 'ApiKey' });

/** The caller's own API keys, under /api/v1/api-keys; a key is shown once, at creation. */
export const apiKeysRouter = router({
  create: scopedProcedure('keys:write')
    .meta({
      openapi: {
        method: 'POST',
        path: '/api/v1/api-keys',
        tags: TAGS,
        summary: 'Create an API key (shown once)',
        description:
          'A user holds at most API_KEYS_MAX_PER_USER (100) keys that are neither revoked nor expired; one more is refused with 429 TOO_MANY_API_KEYS (details.max_api_keys) until one is revoked or expires.',
        protect: true,
      },
      successStatus: 201,
    })
    .input(
      z.object({
        name: text(100, { min: 1 }),
        scopes: z.array(ScopeName).min(1).describe('At most the scopes of the credential creating it.'),
        channels: z
          .array(
            z
              .string()
              .min(1)
              .max(128)
              .regex(/^[A-Za-z0-9._:/-]*\*?$/, { error: 'expected a channel name or a prefix ending in *, e.g. market-data:*' }),
          )
          .min(1)
          .max(50)
          .optional()
          .describe('Channel patterns the key may read: each within those of the credential creating it; omitted, all of those.'),
        expires_at: keyExpiry.optional(),
      }),
    )
    .output(ApiKey.extend({ key: z.string().describe('The key itself; it cannot be shown again.') }))
    .mutation(async ({ ctx, input }) => {
      const granted = delegate(ctx.principal, {
        scopes: input.scopes,
        channels: input.channels,
        expiresAt: input.expires_at ? new Date(input.expires_at) : undefined,
      });
      if (!granted.ok) {
        const fields = [
          ...(granted.scopes.length > 0 ? [{ field: 'scopes', message: `not held by this credential: ${granted.scopes.join(', ')}` }] : []),
          ...(granted.channels.length > 0
            ? [{ field: 'channels', message: `not readable by this credential: ${granted.channels.join(', ')}` }]
            : []),
        ];
        throw new ApiError(
          GrpcStatus.PERMISSION_DENIED,
          'SCOPE_ESCALATION',
          `a key cannot exceed the credential creating it: ${fields.map((f) => f.message).join('; ')}`,
          { fields },
        );
      }
      const { record, key } = await ctx.apiKeys.create({
        userId: ctx.principal.userId,
        name: input.name,
        scopes: granted.scopes,
        channels: granted.channels,
        expiresAt: granted.expiresAt,
      });
      return { ...record, key };
    }),

  list: scopedProcedure('read')
    .meta({
      openapi: {
        method: 'GET',
        path: '/api/v1/api-keys',
        tags: TAGS,
        summary: 'List API keys',
        description:
          'Every key that is neither revoked nor expired, and the newest revoked or expired ones (at most API_KEYS_MAX_PER_USER of those), newest first.',
        protect: true,
      },
    })
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
    .input(z.object({ id: id('API key id, e.g. key_0123abcd.') }))
    .output(z.void())
    .mutation(async ({ ctx, input }) => {
      if (!(await ctx.apiKeys.revoke(ctx.principal.userId, input.id))) throw notFound(`API key ${input.id}`);
    }),
});
