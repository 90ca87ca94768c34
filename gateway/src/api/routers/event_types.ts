import { EVENT_CATALOG, EVENT_TYPES } from '@marketpulse/runtime';
import { z } from 'zod';
import { EventType } from '../schemas/common';
import { router, scopedProcedure } from '../trpc';

const EventTypeInfo = z
  .object({
    type: EventType,
    source: z.string(),
    description: z.string(),
    channel: z.string().describe('WebSocket/tRPC channel it is published to ({symbol}: the subject); every event is also on `events`.'),
  })
  .meta({ id: 'EventTypeInfo' });

/** The event catalog (runtime's EVENT_CATALOG): what webhooks may subscribe to and streams carry. */
export const eventTypesRouter = router({
  list: scopedProcedure('read')
    .meta({ openapi: { method: 'GET', path: '/api/v1/event-types', tags: ['events'], summary: 'List event types', protect: true } })
    .input(z.object({}))
    .output(z.object({ event_types: z.array(EventTypeInfo) }))
    .query(() => ({
      event_types: EVENT_TYPES.map((type) => {
        const { source, description, channel } = EVENT_CATALOG[type];
        return { type, source, description, channel };
      }),
    })),
});
