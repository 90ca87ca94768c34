import type { events } from '@marketpulse/proto';
import { z } from 'zod';
import { PublishEventBody } from '../../events/publish_contracts';
import { hasScope, type Principal } from '../../auth';
import { checkPayload } from '../../publish/entry_checks';
import { router, scopedProcedure } from '../trpc';

const TAGS = ['publish'];

const Published = z
  .object({
    id: z.string(),
    type: z.string(),
    source: z.string(),
    subject: z.string(),
    time: z.string(),
    owner: z.string().describe("The user it belongs to; '' for a system event."),
  })
  .meta({ id: 'PublishedEvent' });

const published = (e: events.Event) => ({
  id: e.id,
  type: e.type,
  source: e.source,
  subject: e.subject,
  time: e.time ?? '',
  owner: e.owner,
});

/** The caller's own user id may always own an event; another user's needs publish:any-owner. */
const optionsOf = (principal: Principal) => ({ anyOwner: hasScope(principal, 'publish:any-owner') });

/**
 * The publish API over REST (the same as gRPC realtime.PublishService on 50050): outside services
 * put position, equity, risk, log and error events on the bus, system events or one user's (owner).
 */
export const publishRouter = router({
  one: scopedProcedure('publish')
    .meta({
      openapi: { method: 'POST', path: '/api/v1/publish', tags: TAGS, summary: 'Publish one event', protect: true },
      successStatus: 202,
    })
    .input(PublishEventBody)
    .output(Published)
    .mutation(async ({ ctx, input }) => {
      const [event] = await ctx.publisher.publish([input], checkPayload, ctx.principal.userId, optionsOf(ctx.principal));
      return published(event!);
    }),

  batch: scopedProcedure('publish')
    .meta({
      openapi: { method: 'POST', path: '/api/v1/publish/batch', tags: TAGS, summary: 'Publish events, all or nothing', protect: true },
      successStatus: 202,
    })
    .input(z.object({ events: z.array(PublishEventBody).min(1).max(500) }))
    .output(z.object({ events: z.array(Published) }))
    .mutation(async ({ ctx, input }) => ({
      events: (await ctx.publisher.publish(input.events, checkPayload, ctx.principal.userId, optionsOf(ctx.principal))).map(published),
    })),
});
