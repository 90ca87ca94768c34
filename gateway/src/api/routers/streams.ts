import { tracked } from '@trpc/server';
import { z } from 'zod';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { canRead, ownerFilter, type Principal } from '../../auth';
import { EVENTS_CHANNEL, readableBy } from '../../ws/doors/stream';
import { Frame } from '../../ws/encode';
import type { Publication } from '../../ws/history';
import type { ChannelEncoder, Subscriber } from '../../ws/hub';
import { ApiError } from '../errors';
import { EventQueue } from '../event_queue';
import { router, scopedProcedure } from '../trpc';

/** One event as a subscription yields it. */
export interface StreamEvent {
  id: string;
  type: string;
  source: string;
  subject: string;
  time: string;
  trace_id: string;
  channels: readonly string[];
  data: Readonly<Record<string, unknown>>;
}

type Delivered = StreamEvent & { seq: number };

/** Every tRPC subscriber shares this encoding: a publication's JSON, made once per publication. */
const ENCODER: ChannelEncoder = {
  key: 'trpc-sse',
  encode: (pub: Publication) =>
    new Frame(
      Buffer.from(
        JSON.stringify({ seq: pub.seq, id: pub.id, type: pub.type, source: pub.source, subject: pub.subject, time: pub.time, trace_id: pub.traceId, channels: pub.channels, data: pub.data }),
      ),
    ),
};

const toDelivered = (pub: Publication): Delivered => ({
  seq: pub.seq,
  id: pub.id,
  type: pub.type,
  source: pub.source,
  subject: pub.subject,
  time: pub.time,
  trace_id: pub.traceId,
  channels: pub.channels,
  data: pub.data,
});

/**
 * Only what the principal's channels allow (as on the WebSocket doors); another user's alerts and
 * webhook outcomes are not streamed to a user (operators see all).
 */
function visibleTo(principal: Principal, e: StreamEvent): boolean {
  if (!readableBy(principal, e)) return false;
  const owner = ownerFilter(principal);
  if (!owner) return true;
  const userId = e.data.user_id;
  if ((e.type === 'alert_triggered' || e.type === 'webhook_delivery') && typeof userId === 'string' && userId !== '') return userId === owner;
  return true;
}

const QUEUE_CAPACITY = 10_000;

/**
 * Event streams over tRPC SSE subscriptions. Each event is `tracked()` with its id, so a typed
 * client that reconnects sends `lastEventId` and gets what it missed from the hub's history.
 */
export const streamsRouter = router({
  events: scopedProcedure('read')
    .input(
      z.object({
        channels: z.array(z.string().min(1)).min(1).max(50).default(['events']).describe('Hub channels, e.g. market-data:AAPL, predictions:AAPL, alerts, portfolio, system; `events` is every event.'),
        types: z.array(z.string()).optional().describe('Only these event types.'),
        lastEventId: z.string().nullish(),
      }),
    )
    .subscription(async function* ({ ctx, input, signal }) {
      const forbidden = input.channels.filter((c) => c !== EVENTS_CHANNEL && !canRead(ctx.principal, c));
      if (forbidden.length > 0) {
        throw new ApiError(GrpcStatus.PERMISSION_DENIED, 'CHANNEL_FORBIDDEN', `this credential may not read ${forbidden.join(', ')}; its token's channels claim decides`, {
          channels: forbidden,
        });
      }
      const queue = new EventQueue<Delivered>(QUEUE_CAPACITY);
      const subscriber: Subscriber = { deliver: (frame) => queue.push(JSON.parse(frame.payload.toString('utf8')) as Delivered) };
      const wanted = (e: StreamEvent) => (!input.types || input.types.includes(e.type)) && visibleTo(ctx.principal, e);
      // Subscribe before reading history so nothing published in between is lost; seq drops doubles.
      for (const channel of input.channels) ctx.feed.subscribe(channel, ENCODER, subscriber);
      let lastSeq = 0;
      try {
        if (input.lastEventId) {
          const recovery = ctx.feed.recover(input.channels, input.lastEventId);
          if (recovery.recovered) {
            for (const pub of recovery.publications) {
              lastSeq = pub.seq;
              const { seq: _seq, ...event } = toDelivered(pub);
              if (wanted(event)) yield tracked(event.id, event);
            }
          } else {
            ctx.logger.info({ last_event_id: input.lastEventId, channels: input.channels }, 'subscription resumed without history: id unknown or evicted');
          }
        }
        for (;;) {
          const next = await queue.next(signal);
          if (next === undefined) return;
          if (next.seq <= lastSeq) continue;
          lastSeq = next.seq;
          const { seq: _seq, ...event } = next;
          if (wanted(event)) yield tracked(event.id, event as StreamEvent);
        }
      } finally {
        for (const channel of input.channels) ctx.feed.unsubscribe(channel, ENCODER.key, subscriber);
      }
    }),
});
