import { setImmediate as nextTurn } from 'node:timers/promises';
import type { ResumeTarget } from './kafka_resume';
import { frameCount, readableBy, type ReplayFrames } from './replay_frames';

/** How a replay, from memory or from Kafka, is sent to one client. */
export interface ReplayPacing {
  /** Events per second replayed to one client at most (WS_RESUME_READ_RATE). */
  ratePerSecond: number;
  /** Events per chunk: written to the client in one go, with a yield to the event loop between chunks (WS_RESUME_READ_CHUNK). */
  chunk: number;
  /** A client's send-queue limit: a replay waits while more than half of it is queued. */
  queueLimitBytes: number;
  /**
   * How long a replay waits for a client that takes none of what it was sent (its queue stays over
   * half the limit and shrinks no more) before it gives up with CANNOT_RECOVER: a client that stops
   * reading, however alive it keeps itself, must not hold a replay (or one of WS_RESUME_MAX_READS) for ever.
   */
  stallMs: number;
}

/** The client took none of the events replayed for stallMs. */
export class StalledClient extends Error {}

const BACKPRESSURE_POLL_MS = 5;

/**
 * Sends the chunks `next` hands over until it returns null, checking each against the client's
 * principal as it is now (readableBy), and paced so that a replay is fair to everyone else and is
 * not taken for a slow client: a yield after each chunk, at most `ratePerSecond`, and never more than
 * half the client's queue waiting. Returns the number of events sent.
 */
export async function sendPaced(
  target: ResumeTarget,
  next: () => Promise<ReplayFrames | null> | ReplayFrames | null,
  pacing: ReplayPacing,
  going: () => boolean,
): Promise<number> {
  const { ratePerSecond, queueLimitBytes, stallMs } = pacing;
  const began = Date.now();
  let replayed = 0;
  for (;;) {
    const frames = going() ? await next() : null;
    if (!frames) return replayed;
    const readable = readableBy(frames, target.principal);
    // A chunk that does not fit beside what waits (an event bigger than the queue) goes once the client took what waits.
    if (target.bytesQueued + readable.wire.byteLength > queueLimitBytes) await drain(0);
    if (frameCount(readable) > 0 && going()) {
      target.replayFrames(readable);
      replayed += frameCount(readable);
    }
    await nextTurn();
    const due = began + (replayed * 1000) / ratePerSecond - Date.now();
    if (due > 0) await sleep(due);
    await drain(queueLimitBytes / 2);
  }

  /** Waits until the client's queue holds at most `bytes`; throws StalledClient when it shrinks no more for stallMs. */
  async function drain(bytes: number): Promise<void> {
    let least = target.bytesQueued;
    let since = Date.now();
    while (going() && target.bytesQueued > bytes) {
      if (target.bytesQueued < least) [least, since] = [target.bytesQueued, Date.now()];
      else if (Date.now() - since >= stallMs) throw new StalledClient();
      await sleep(BACKPRESSURE_POLL_MS);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
