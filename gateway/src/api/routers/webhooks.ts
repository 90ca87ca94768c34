import { webhooks } from '@marketpulse/proto';
import { z } from 'zod';
import { ownerFilter, type Principal } from '../../auth';
import type { ApiContext } from '../context';
import { maskOf, webhookOut } from '../mappers';
import { Delivery, EndpointStats, ReplayFailedResult, Webhook, WebhookCreate, WebhookTestResult, WebhookUpdate } from '../schemas/webhooks';
import { EventType, hoursQuery, id as idSchema, isoTime } from '../schemas/common';
import { call } from '../service_clients';
import { checkWebhookReach } from '../webhook_reach';
import { router, scopedProcedure } from '../trpc';

const TAGS = ['webhooks'];

/** The caller's endpoint `id` as it is now (NOT_FOUND for another user's, as every route answers). */
async function currentEndpoint(ctx: ApiContext & { principal: Principal }, endpointId: string): Promise<webhooks.Endpoint | undefined> {
  return (await call(ctx.services.webhooks, (c) => c.getEndpoint, { id: endpointId, user_id: ownerFilter(ctx.principal) })).endpoint;
}
const id = idSchema('Webhook id, e.g. wh_123.');

/** Seed 000's webhook REST paths under /api/v1/webhooks, over the webhook-delivery service. */
export const webhooksRouter = router({
  create: scopedProcedure('webhooks:write')
    .meta({
      openapi: { method: 'POST', path: '/api/v1/webhooks', tags: TAGS, summary: 'Create webhook', protect: true },
      successStatus: 201,
    })
    .input(WebhookCreate)
    .output(Webhook)
    .mutation(async ({ ctx, input }) => {
      checkWebhookReach(ctx.principal, input.events, input.subjects ?? []);
      const endpoint = webhooks.Endpoint.fromPartial({ ...input, active: input.active ?? true, user_id: ctx.principal.userId });
      const res = await call(ctx.services.webhooks, (c) => c.createEndpoint, { endpoint });
      return webhookOut(res.endpoint);
    }),

  list: scopedProcedure('read')
    .meta({ openapi: { method: 'GET', path: '/api/v1/webhooks', tags: TAGS, summary: 'List webhooks', protect: true } })
    .input(z.object({}))
    .output(z.array(Webhook))
    .query(async ({ ctx }) => {
      const res = await call(ctx.services.webhooks, (c) => c.listEndpoints, { user_id: ownerFilter(ctx.principal) });
      return res.endpoints.map(webhookOut);
    }),

  get: scopedProcedure('read')
    .meta({ openapi: { method: 'GET', path: '/api/v1/webhooks/{id}', tags: TAGS, summary: 'Get webhook details', protect: true } })
    .input(z.object({ id }))
    .output(Webhook)
    .query(async ({ ctx, input }) => {
      const res = await call(ctx.services.webhooks, (c) => c.getEndpoint, { id: input.id, user_id: ownerFilter(ctx.principal) });
      return webhookOut(res.endpoint);
    }),

  update: scopedProcedure('webhooks:write')
    .meta({ openapi: { method: 'PATCH', path: '/api/v1/webhooks/{id}', tags: TAGS, summary: 'Update webhook', protect: true } })
    .input(WebhookUpdate.extend({ id }))
    .output(Webhook)
    .mutation(async ({ ctx, input }) => {
      const { id: endpointId, ...changes } = input;
      if (changes.events !== undefined || changes.subjects !== undefined) {
        // What the endpoint will receive once changed: the fields sent over the ones it has.
        const current = changes.events === undefined || changes.subjects === undefined ? await currentEndpoint(ctx, endpointId) : undefined;
        checkWebhookReach(ctx.principal, changes.events ?? current?.events ?? [], changes.subjects ?? current?.subjects ?? []);
      }
      const res = await call(ctx.services.webhooks, (c) => c.updateEndpoint, {
        endpoint: webhooks.Endpoint.fromPartial({ ...changes, id: endpointId }),
        update_mask: maskOf(changes),
        user_id: ownerFilter(ctx.principal),
      });
      return webhookOut(res.endpoint);
    }),

  delete: scopedProcedure('webhooks:write')
    .meta({
      openapi: { method: 'DELETE', path: '/api/v1/webhooks/{id}', tags: TAGS, summary: 'Delete webhook', protect: true },
      successStatus: 204,
    })
    .input(z.object({ id }))
    .output(z.void())
    .mutation(async ({ ctx, input }) => {
      await call(ctx.services.webhooks, (c) => c.deleteEndpoint, { id: input.id, user_id: ownerFilter(ctx.principal) });
    }),

  deliveries: scopedProcedure('read')
    .meta({ openapi: { method: 'GET', path: '/api/v1/webhooks/{id}/deliveries', tags: TAGS, summary: 'List deliveries', protect: true } })
    .input(
      z.object({
        id,
        status: z.enum(['pending', 'delivered', 'failed', 'cancelled']).optional(),
        since: isoTime.optional(),
        limit: z.coerce.number().int().min(1).max(500).optional(),
      }),
    )
    .output(z.array(Delivery))
    .query(async ({ ctx, input }) => {
      const res = await call(ctx.services.webhooks, (c) => c.listDeliveries, {
        endpoint_id: input.id,
        user_id: ownerFilter(ctx.principal),
        status: input.status ?? '',
        since: input.since,
        limit: input.limit ?? 0,
      });
      return res.deliveries;
    }),

  test: scopedProcedure('webhooks:write')
    .meta({ openapi: { method: 'POST', path: '/api/v1/webhooks/test', tags: TAGS, summary: 'Test webhook', protect: true } })
    .input(z.object({ webhook_id: id, event_type: EventType.optional() }))
    .output(WebhookTestResult)
    .mutation(async ({ ctx, input }) => {
      const res = await call(ctx.services.webhooks, (c) => c.sendTestEvent, {
        endpoint_id: input.webhook_id,
        user_id: ownerFilter(ctx.principal),
        event_type: input.event_type ?? '',
      });
      const delivered = res.delivery?.status === 'delivered';
      return {
        webhook_id: input.webhook_id,
        success: delivered,
        message: delivered ? 'Test event delivered' : `Test event not delivered yet (status ${res.delivery?.status ?? 'unknown'})`,
        delivery: res.delivery ?? null,
      };
    }),

  replay: scopedProcedure('webhooks:write')
    .meta({
      openapi: {
        method: 'POST',
        path: '/api/v1/webhooks/deliveries/{id}/replay',
        tags: TAGS,
        summary: 'Replay one delivery (a new manual attempt now)',
        protect: true,
      },
    })
    .input(z.object({ id: idSchema('Delivery id, e.g. dlv_123.') }))
    .output(Delivery)
    .mutation(async ({ ctx, input }) => {
      const res = await call(ctx.services.webhooks, (c) => c.replayDelivery, {
        delivery_id: input.id,
        user_id: ownerFilter(ctx.principal),
      });
      return res.delivery!;
    }),

  replayFailed: scopedProcedure('webhooks:write')
    .meta({
      openapi: {
        method: 'POST',
        path: '/api/v1/webhooks/{id}/replay',
        tags: TAGS,
        summary: 'Replay every failed delivery of an endpoint since a time',
        protect: true,
      },
    })
    .input(
      z.object({
        id,
        since: isoTime.describe('Failed deliveries created at or after this time.'),
        until: isoTime.optional().describe('…and before this time (default now).'),
      }),
    )
    .output(ReplayFailedResult)
    .mutation(async ({ ctx, input }) => {
      const res = await call(ctx.services.webhooks, (c) => c.replayFailed, {
        endpoint_id: input.id,
        user_id: ownerFilter(ctx.principal),
        start_time: input.since,
        end_time: input.until,
      });
      return { replayed_count: res.replayed_count, delivery_ids: res.delivery_ids };
    }),

  stats: scopedProcedure('read')
    .meta({
      openapi: { method: 'GET', path: '/api/v1/webhooks/{id}/stats', tags: TAGS, summary: 'Endpoint delivery statistics', protect: true },
    })
    .input(z.object({ id, hours: hoursQuery }))
    .output(EndpointStats)
    .query(async ({ ctx, input }) => {
      const res = await call(ctx.services.webhooks, (c) => c.getEndpointStats, {
        endpoint_id: input.id,
        user_id: ownerFilter(ctx.principal),
        hours: input.hours ?? 0,
      });
      return res.stats!;
    }),
});
