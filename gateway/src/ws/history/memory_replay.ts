import type { Logger } from '@marketpulse/runtime';
import type { Principal } from '../../auth';
import type { Publication } from '../history';
import type { Recovery } from '../hub';
import type { ResumeTarget } from './kafka_resume';
import type { ResumableEncoder } from './replay_encoders';
import { ReplayFramesBuilder, type ReplayFrames } from './replay_frames';
import { sendPaced, StalledClient, type ReplayPacing } from './replay_pacing';
import type { ResumeMetrics } from './resume_metrics';

/** The part of the hub a memory replay reads from (hub.ts). */
export interface MemoryHistory {
  recoverAfter(
    channels: readonly string[],
    sinceSeq: number,
    principal: Principal | undefined,
    upToSeq?: number,
    unsent?: (pub: Publication) => boolean,
  ): Recovery;
  newestSeq(channels: readonly string[]): number;
}

export interface MemoryReplay {
  /** What recover() found the client missed, oldest first: more than one chunk of it. */
  readonly missed: readonly Publication[];
  readonly channels: readonly string[];
  readonly encoder: ResumableEncoder;
  readonly history: MemoryHistory;
  readonly pacing: ReplayPacing;
  /** A resume by position: what the client was not sent (KafkaResume.fromMemory), for the reads after `missed`. */
  readonly unsent?: (pub: Publication) => boolean;
  /** False once the client no longer holds the subscription being resumed: the replay stops at its next chunk. */
  readonly wanted: () => boolean;
  /** How the client named where it resumes (`since=<id>`), quoted in errors; and the stream door's subscription. */
  readonly label: string;
  readonly subscriptionId?: string;
  readonly metrics?: ResumeMetrics;
  readonly logger?: Logger;
}

/** What followed the replay's position was evicted from memory before it was sent. */
class Evicted extends Error {}

/**
 * A resume from the in-memory history bigger than one chunk: sent paced, like a Kafka read-back
 * (replay_pacing.ts), with the client's live events held until it is done. Sent in one go, a
 * history of thousands of events held the event loop from every other client for as long as it
 * took to encode them, and a history bigger than the client's send queue closed a client that
 * was reading as fast as it could as a slow one (SLOW_CLIENT).
 *
 * Call it in the tick that subscribes the target to the live stream, after recover() found
 * `missed`: the live stream starts past the newest publication now, so nothing is lost or doubled.
 * When more live events arrive meanwhile than the target can hold, it drops them and the replay
 * reads them from the history too, up to the newest at that moment, as a Kafka read-back does.
 */
export function replayFromMemory(target: ResumeTarget, replay: MemoryReplay): void {
  const { missed, channels, encoder, history, pacing } = replay;
  let pending = missed;
  let at = 0;
  /** The seq of the last publication handed to the client (oldest first, so the highest so far). */
  let sent = 0;
  let upTo = history.newestSeq(channels);
  const readTo = () => {
    upTo = history.newestSeq(channels);
  };
  target.holdLive(readTo, channels, encoder.key);

  const next = (): ReplayFrames | null => {
    if (at >= pending.length) {
      if (sent >= upTo) return null;
      const more = history.recoverAfter(channels, sent, target.principal, upTo, replay.unsent);
      if (!more.recovered) throw new Evicted();
      pending = more.publications;
      at = 0;
      if (pending.length === 0) {
        // Nothing up to upTo that the client may see: done, unless more live events are dropped meanwhile.
        sent = upTo;
        return null;
      }
    }
    const builder = new ReplayFramesBuilder();
    for (const end = Math.min(at + pacing.chunk, pending.length); at < end; at++) {
      const pub = pending[at]!;
      sent = pub.seq;
      const frame = encoder.encode(pub);
      if (frame) builder.add(frame, pub);
    }
    return builder.build().frames;
  };

  const startedAt = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - startedAt) / 1e9;
  void sendPaced(target, next, pacing, () => target.isOpen && replay.wanted()).then(
    (replayed) => {
      replay.metrics?.read('memory', 'recovered', replayed, seconds());
      target.release(readTo);
    },
    (err: unknown) => {
      if (replay.wanted() && target.isOpen) {
        const why =
          err instanceof Evicted
            ? "the missed events left this instance's memory while they were being sent"
            : err instanceof StalledClient
              ? `the client took none of the events replayed for ${pacing.stallMs / 1000} s`
              : 'the missed events could not be replayed';
        if (!(err instanceof Evicted || err instanceof StalledClient))
          replay.logger?.warn({ err: err instanceof Error ? err.message : String(err), from: replay.label }, 'resume from memory failed');
        target.sendError('CANNOT_RECOVER', `${replay.label}: ${why}; continuing with live messages`, {
          ...(replay.subscriptionId !== undefined ? { subscription_id: replay.subscriptionId } : {}),
        });
      }
      replay.metrics?.read('memory', err instanceof Evicted ? 'past_retention' : 'failed', 0, seconds());
      target.release(readTo);
    },
  );
}
