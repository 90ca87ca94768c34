import { tracked } from '@trpc/server';
import { z } from 'zod';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { canRead, type Principal } from '../../auth';
import { EVENTS_CHANNEL } from '../../visibility';
import type { KafkaResume, ResumeStart, ResumeTarget } from '../../ws/history/kafka_resume';
import { MAX_POSITION_CHARS, PositionTracker } from '../../ws/history/position_token';
import { framesOf } from '../../ws/history/replay_frames';
import type { Subscriber } from '../../ws/hub';
import type { KeySessions } from '../../ws/key_sessions';
import { toDelivered, trpcEncoder as ENCODER, type Delivered, type StreamEvent } from '../../ws/doors/door_encoders';
import { ApiError, credentialExpired, keyRevoked, tooManySubscriptions } from '../../errors';
import type { KeyHolder } from '../../ws/key_sessions';
import { EventQueue } from '../event_queue';
import { text } from '../schemas/common';
import { router, scopedProcedure } from '../trpc';

const QUEUE_CAPACITY = 10_000;
/**
 * What one subscription may hold for a client that does not read (1 MiB, the doors'
 * WS_SEND_QUEUE_BYTES default). Bounded by count alone, every paused stream grew to 10 000 events
 * of any size: 500 paused firehose streams of one credential added 640 MB in 50 s, on their way
 * past the heap limit.
 */
const QUEUE_BYTES = 1024 * 1024;

/** setTimeout's largest delay; a later expiry is waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Ends a subscription when its credential stops being valid, as the WebSocket doors close a
 * connection (KEY_REVOKED, TOKEN_EXPIRED): it was checked only when the stream started, so a revoked
 * key or an expired JWT kept reading every channel it was granted for as long as the stream lasted
 * (an audit: 2,692 events 45 s after the revoke). `signal` aborts then; `reason` says why.
 */
class CredentialWatch implements KeyHolder {
  private readonly ended = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  reason: ApiError | undefined;
  readonly signal: AbortSignal;

  constructor(
    readonly principal: Principal,
    private readonly sessions: KeySessions,
    requestSignal: AbortSignal | undefined,
  ) {
    this.signal = requestSignal ? AbortSignal.any([requestSignal, this.ended.signal]) : this.ended.signal;
    sessions.add(this);
    if (principal.expiresAt !== undefined) this.arm(principal.expiresAt);
  }

  keyRevoked(): void {
    this.end(keyRevoked());
  }

  /** Throws why the subscription ended, if its credential ended it. */
  check(): void {
    if (this.reason) throw this.reason;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.sessions.remove(this);
  }

  private arm(at: number): void {
    const left = at - Date.now();
    if (left <= 0) return this.end(credentialExpired());
    this.timer = setTimeout(() => this.arm(at), Math.min(left, MAX_TIMER_MS));
    this.timer.unref();
  }

  private end(reason: ApiError): void {
    this.reason ??= reason;
    this.ended.abort();
  }
}

/**
 * The events a Kafka read-back replays (KafkaResume, the doors' mechanism), as they come; ends when
 * the read-back does. Call it after subscribing to the live feed: the read-back stops where that starts.
 */
async function* readBack(
  resume: KafkaResume,
  channels: readonly string[],
  from: ResumeStart,
  principal: Principal,
  signal: AbortSignal | undefined,
  onUnrecoverable: (position: string | undefined) => void,
): AsyncGenerator<Delivered> {
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
    replayFrames(frames) {
      for (const frame of framesOf(frames)) {
        replayed.push({ event: JSON.parse(frame.payload.toString('utf8')) as Delivered, bytes: frame.byteLength });
        bytes += frame.byteLength;
      }
      wake?.();
    },
    // Its live events wait in the subscription's own queue (bounded; an overflow ends the stream).
    holdLive() {},
    release() {
      done = true;
      wake?.();
    },
    sendError(_name, _detail, fields) {
      // Past retention: the subscription continues live from `position`, as a door does after CANNOT_RECOVER.
      onUnrecoverable(typeof fields?.position === 'string' ? fields.position : undefined);
    },
  };
  resume.start(target, channels, ENCODER, from);
  for (;;) {
    const next = replayed.shift();
    if (next) {
      bytes -= next.bytes;
      yield next.event;
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
 * Event streams over tRPC SSE subscriptions. Each event is `tracked()` with the subscription's
 * position token (on Kafka; its event id on the in-memory bus), so a typed client that reconnects
 * sends it back as `lastEventId` and gets what it missed, on any instance (the doors' mechanism:
 * gateway/RESUME.md). An event id as `lastEventId` still resumes from memory or the resume index.
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
        lastEventId: text(MAX_POSITION_CHARS)
          .nullish()
          .describe('The id of the last event received (its position token on Kafka, as `tracked` sent it), to resume after it.'),
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
      const queue = new EventQueue<Delivered>(QUEUE_CAPACITY, QUEUE_BYTES);
      // What this principal may see (channels, owner) the hub decides for every subscriber alike (visibility.ts).
      const subscriber: Subscriber = {
        principal: ctx.principal,
        deliver: (frame) => queue.push(JSON.parse(frame.payload.toString('utf8')) as Delivered, frame.payload.byteLength),
      };
      const wanted = (e: StreamEvent) => !input.types || input.types.includes(e.type);
      const kafka = ctx.feed.kafkaResume;
      const last = input.lastEventId ?? undefined;
      // A position token first (any instance); an event id falls back to memory and the resume index.
      let byPosition = last !== undefined && kafka ? kafka.fromPosition(last, input.channels) : undefined;
      if (byPosition?.ok && kafka!.aheadOf(byPosition.frontier) && !(await kafka!.reach(byPosition.frontier, () => !signal?.aborted))) {
        ctx.logger.info({ channels: input.channels }, "subscription resumed without history: position ahead of this instance's stream");
        byPosition = undefined;
      }
      const user = ctx.principal.userId;
      if (!ctx.subscriptions.take(user)) throw tooManySubscriptions(ctx.subscriptions.perUser);
      const watch = new CredentialWatch(ctx.principal, ctx.keySessions, signal);
      const live = watch.signal;
      // From here to the read-back's start, one tick: subscribed before reading history, so nothing
      // published in between is lost; seq drops doubles (memory), the read-back stops where live starts (Kafka).
      for (const channel of input.channels) ctx.feed.subscribe(channel, ENCODER, subscriber);
      let tracker: PositionTracker | undefined;
      const track = (token: string | undefined) => (tracker = token === undefined ? undefined : new PositionTracker(token));
      const out = (event: Delivered) => {
        const { seq: _seq, pos, ...rest } = event;
        if (pos !== undefined) tracker?.advance(pos);
        return tracked(tracker?.token ?? rest.id, rest as StreamEvent);
      };
      let lastSeq = 0;
      try {
        let replay: AsyncGenerator<Delivered> | Delivered[] = [];
        track(kafka?.positionNow(input.channels));
        if (last !== undefined) {
          // A position is served from memory while the history holds everything past it (connection.ts's subscribeFrom).
          const recovery = byPosition?.ok
            ? ctx.feed.recoverFrom(input.channels, byPosition.frontier, ctx.principal)
            : ctx.feed.recover(input.channels, last, ctx.principal);
          const fromId = kafka && !byPosition?.ok ? kafka.fromId(last, input.channels) : undefined;
          const frontier = byPosition?.ok ? byPosition.frontier : fromId;
          if (recovery.recovered) {
            track(frontier && kafka?.positionOf(frontier));
            replay = recovery.publications.map(toDelivered);
            lastSeq = recovery.publications.at(-1)?.seq ?? 0;
          } else if (kafka && frontier) {
            // Past the history: read back from Kafka up to where the live queue starts (no overlap).
            track(kafka.positionOf(frontier));
            replay = readBack(kafka, input.channels, { frontier, label: 'lastEventId' }, ctx.principal, live, track);
          } else {
            ctx.logger.info(
              { channels: input.channels, reason: byPosition && !byPosition.ok ? byPosition.detail : 'id unknown or evicted' },
              'subscription resumed without history',
            );
          }
        }
        for await (const event of replay) {
          const message = out(event);
          if (wanted(event)) yield message;
        }
        watch.check();
        for (;;) {
          const next = await queue.next(live);
          if (next === undefined) {
            watch.check();
            return;
          }
          if (next.seq <= lastSeq) continue;
          lastSeq = next.seq;
          const message = out(next);
          if (wanted(next)) yield message;
        }
      } finally {
        watch.stop();
        for (const channel of input.channels) ctx.feed.unsubscribe(channel, ENCODER.key, subscriber);
        ctx.subscriptions.release(user);
      }
    }),
});
