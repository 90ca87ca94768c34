import { tracked } from '@trpc/server';
import { z } from 'zod';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { canRead, type Principal } from '../../auth';
import { EVENTS_CHANNEL } from '../../visibility';
import { Frame } from '../../ws/encode';
import type { Publication } from '../../ws/history';
import type { KafkaResume, ResumeTarget } from '../../ws/history/kafka_resume';
import type { ChannelEncoder, Subscriber } from '../../ws/hub';
import { ApiError } from '../errors';
import { EventQueue } from '../event_queue';
import { text } from '../schemas/common';
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
        JSON.stringify({
          seq: pub.seq,
          id: pub.id,
          type: pub.type,
          source: pub.source,
          subject: pub.subject,
          time: pub.time,
          trace_id: pub.traceId,
          channels: pub.channels,
          data: pub.data,
        }),
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

const QUEUE_CAPACITY = 10_000;

/**
 * The events a Kafka read-back replays (KafkaResume, the doors' mechanism), as they come; ends when
 * the read-back does. Call it after subscribing to the live feed: the read-back stops where that starts.
 */
async function* readBack(
  resume: KafkaResume,
  channels: readonly string[],
  since: string,
  principal: Principal,
  signal: AbortSignal | undefined,
): AsyncGenerator<StreamEvent> {
  const replayed: { event: Delivered; bytes: number }[] = [];
  let bytes = 0;
  let done = false;
  let wake: (() => void) | undefined;
  const target: ResumeTarget = {
    principal,
    get isOpen() {
      return !signal?.aborted;
    },
    get bytesQueued() {
      return bytes;
    },
    replay(frame) {
      replayed.push({ event: JSON.parse(frame.payload.toString('utf8')) as Delivered, bytes: frame.byteLength });
      bytes += frame.byteLength;
      wake?.();
    },
    // Its live events wait in the subscription's own queue (bounded; an overflow ends the stream).
    holdLive() {},
    release() {
      done = true;
      wake?.();
    },
    sendError() {
      // Past retention: the subscription continues live, as a door does after CANNOT_RECOVER.
    },
  };
  resume.start(target, channels, ENCODER, since);
  for (;;) {
    const next = replayed.shift();
    if (next) {
      bytes -= next.bytes;
      const { seq: _seq, ...event } = next.event;
      yield event;
      continue;
    }
    if (done || signal?.aborted) return;
    await new Promise<void>((resolve) => {
      wake = resolve;
      signal?.addEventListener('abort', () => resolve(), { once: true });
    });
    wake = undefined;
  }
}

/**
 * Event streams over tRPC SSE subscriptions. Each event is `tracked()` with its id, so a typed
 * client that reconnects sends `lastEventId` and gets what it missed from the hub's history.
 */
export const streamsRouter = router({
  events: scopedProcedure('read')
    .input(
      z.object({
        channels: z
          .array(text(200, { min: 1 }))
          .min(1)
          .max(50)
          .default(['events'])
          .describe('Hub channels, e.g. market-data:AAPL, predictions:AAPL, alerts, portfolio, system; `events` is every event.'),
        types: z.array(text(64)).max(64).optional().describe('Only these event types.'),
        lastEventId: text(200).nullish(),
      }),
    )
    .subscription(async function* ({ ctx, input, signal }) {
      const forbidden = input.channels.filter((c) => c !== EVENTS_CHANNEL && !canRead(ctx.principal, c));
      if (forbidden.length > 0) {
        throw new ApiError(
          GrpcStatus.PERMISSION_DENIED,
          'CHANNEL_FORBIDDEN',
          `this credential may not read ${forbidden.join(', ')}; its token's channels claim decides`,
          {
            channels: forbidden,
          },
        );
      }
      const queue = new EventQueue<Delivered>(QUEUE_CAPACITY);
      // What this principal may see (channels, owner) the hub decides for every subscriber alike (visibility.ts).
      const subscriber: Subscriber = {
        principal: ctx.principal,
        deliver: (frame) => queue.push(JSON.parse(frame.payload.toString('utf8')) as Delivered),
      };
      const wanted = (e: StreamEvent) => !input.types || input.types.includes(e.type);
      // Subscribe before reading history so nothing published in between is lost; seq drops doubles.
      for (const channel of input.channels) ctx.feed.subscribe(channel, ENCODER, subscriber);
      let lastSeq = 0;
      try {
        if (input.lastEventId) {
          const recovery = ctx.feed.recover(input.channels, input.lastEventId, ctx.principal);
          if (recovery.recovered) {
            for (const pub of recovery.publications) {
              lastSeq = pub.seq;
              const { seq: _seq, ...event } = toDelivered(pub);
              if (wanted(event)) yield tracked(event.id, event);
            }
          } else if (ctx.feed.kafkaResume?.canResume(input.lastEventId)) {
            // Past the history: read back from Kafka up to where the live queue starts (no overlap).
            for await (const event of readBack(ctx.feed.kafkaResume, input.channels, input.lastEventId, ctx.principal, signal)) {
              if (wanted(event)) yield tracked(event.id, event);
            }
          } else {
            ctx.logger.info(
              { last_event_id: input.lastEventId, channels: input.channels },
              'subscription resumed without history: id unknown or evicted',
            );
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
