import type { Logger } from '@marketpulse/runtime';
import type { Principal } from '../../auth';
import { typesOfChannel } from '../../events/routes';
import type { ErrorName } from '../codes';
import type { Publication } from '../history';
import { PastRetentionError, type PartitionKey, type ReadRange } from './kafka_log';
import type { LogReader } from './log_reader';
import { positionKey, type DecodedPosition } from './position_token';
import type { Frontier, PositionIndex } from './positions';
import type { ResumableEncoder } from './replay_encoders';
import type { ReplayFrames } from './replay_frames';
import { sendPaced, StalledClient, type ReplayPacing } from './replay_pacing';
import type { ResumeMetrics } from './resume_metrics';

/** A client being caught up: the connection, or a tRPC subscription. */
export interface ResumeTarget {
  /** Read at each replayed chunk: visibility follows a re-authentication at once. */
  readonly principal: Principal | undefined;
  readonly isOpen: boolean;
  /** Bytes waiting to be sent to it: read-back pauses while they exceed half the queue limit. */
  readonly bytesQueued: number;
  /** Sends a chunk of replayed events now, in order, ahead of the live ones held meanwhile. */
  replayFrames(frames: ReplayFrames): void;
  /**
   * Holds live events from now until release(). When more arrive than it can hold, it drops them
   * all and calls `onDrop` at once (in the delivery that overflowed): the read-back then reads
   * them from Kafka too, up to the live stream's position at that moment. `encoderKey` names the
   * subscription being caught up: a target that leaves it may stop holding for this read-back.
   */
  holdLive(onDrop: () => void, channels: readonly string[], encoderKey: string): void;
  /** The read-back is over: send the live events held meanwhile, then deliver live ones as they come. */
  release(onDrop: () => void): void;
  /** `fields` go into the error message (the position the client continues from, its subscription). */
  sendError(name: ErrorName, detail?: string, fields?: Readonly<Record<string, unknown>>): void;
}

/** Where a read-back starts, however the client named it. */
export interface ResumeStart {
  /** Per partition, the first offset the client was not sent. */
  readonly frontier: Frontier;
  /** How the client named it, quoted in errors: `since=<id>` or `position`. */
  readonly label: string;
  /** The stream door's subscription: an error about the read-back names it. */
  readonly subscriptionId?: string;
  /**
   * False once the client no longer holds the subscription being resumed (it unsubscribed, or a seed
   * door switched symbol): the read-back stops at its next chunk and frees its turn and the live events it holds.
   */
  readonly wanted?: () => boolean;
}

/** A resume by position served from memory: KafkaResume.fromMemory. */
export interface MemoryStart {
  readonly afterSeq: number;
  readonly unsent: (pub: Publication) => boolean;
}

/** The pacing (replay_pacing.ts) is the one every replay to a client keeps, from memory too. */
export interface KafkaResumeOptions extends ReplayPacing {
  /** Fetches, decodes, filters and encodes off the event loop (log_reader.ts). */
  reader: LogReader;
  index: PositionIndex;
  /** Topic of an event type. */
  topicOf: (type: string) => string;
  eventTypes: readonly string[];
  /** Read-backs running at once on this instance; more wait their turn, one at a time per user (WS_RESUME_MAX_READS). */
  maxConcurrent: number;
  metrics: ResumeMetrics;
  logger: Logger;
}

/**
 * How long a position ahead of this instance's stream may wait for it (another instance a client
 * left was a little further on); past that the position is refused as one this stream never reached.
 */
const AHEAD_WAIT_MS = 2000;
const AHEAD_POLL_MS = 20;

/**
 * Catching a client up from Kafka when the in-memory history no longer holds what it missed: from
 * its position token (position_token.ts), or the `since` id's position in this instance's
 * PositionIndex, up to where the live stream stood when it subscribed,
 * partition by partition, merged in Kafka time order, filtered like live delivery (the channels
 * asked for, mayReceive, the subscription's encoder), sent in chunks at a bounded rate with the
 * client's live events held until it is done. Fetching and decoding happen on the reader's thread
 * (log_reader.ts), so live delivery on this one only waits for the sending. No gap: the live stream delivers exactly the
 * records at or past that stand; no duplicate: the read stops there. Past retention: CANNOT_RECOVER.
 */
export class KafkaResume {
  private running = 0;
  /** Read-backs running per user ('' for anonymous clients). */
  private readonly runningOf = new Map<string, number>();
  private readonly waiting: { user: string; go: () => void }[] = [];
  /** When each user in line or reading last got a turn (turnsGiven then). */
  private readonly lastTurnOf = new Map<string, number>();
  private turnsGiven = 0;

  constructor(private readonly options: KafkaResumeOptions) {}

  /** The topics the events of these channels live on. */
  private topicsOf(channels: readonly string[]): Set<string> {
    const { topicOf, eventTypes } = this.options;
    return new Set(channels.flatMap((c) => typesOfChannel(c, eventTypes)).map(topicOf));
  }

  /** Where a client that last saw `since` on `channels` resumes; undefined when this instance's index does not hold the id. */
  fromId(since: string, channels: readonly string[]): Frontier | undefined {
    return this.options.index.frontierAfter(since, this.topicsOf(channels));
  }

  /**
   * A position token a client sent, checked: malformed is INVALID_POSITION; another cluster's, or
   * one that does not cover every partition of the channels' topics, is CANNOT_RECOVER. Returns the
   * frontier over those topics only.
   */
  fromPosition(token: string, channels: readonly string[]): DecodedPosition {
    const codec = this.options.index.codec;
    if (!codec)
      return { ok: false, code: 'CANNOT_RECOVER', detail: 'this instance has no Kafka position yet; continuing with live messages' };
    const decoded = codec.decode(token);
    if (!decoded.ok) return decoded;
    const topics = this.topicsOf(channels);
    const frontier: Frontier = new Map();
    for (const [key, offset] of decoded.frontier) if (topics.has(topicOfKey(key))) frontier.set(key, offset);
    for (const key of this.options.index.frontierNow(topics).keys()) {
      if (!frontier.has(key))
        return { ok: false, code: 'CANNOT_RECOVER', detail: `the position does not cover ${key}; continuing with live messages` };
    }
    return { ok: true, frontier };
  }

  /**
   * Where a client at `frontier` resumes in this instance's memory: the publications after
   * `afterSeq` that `unsent` takes (those at or past the frontier on their partition). Undefined
   * when the resume index does not reach back to the frontier: then only Kafka has what it missed.
   * The frontier must not be ahead of the live stream (aheadOf).
   */
  fromMemory(frontier: Frontier): MemoryStart | undefined {
    const { index } = this.options;
    const codec = index.codec;
    if (!codec) return undefined;
    const first = index.firstNotSent(frontier);
    if (first === undefined) return undefined;
    const limits = new Map<string, number>();
    for (const [key, offset] of frontier) {
      const entryKey = codec.entryKey(key);
      if (entryKey !== undefined) limits.set(entryKey, offset);
    }
    return {
      afterSeq: first === null ? Infinity : first - 1,
      // A publication without a position it can be placed by is sent: a duplicate the client can
      // drop by id is better than a gap it cannot see.
      unsent: (pub) => {
        const limit = pub.pos === undefined ? undefined : limits.get(positionKey(pub.pos));
        if (limit === undefined) return true;
        const next = codec.entryOffset(pub.pos!);
        return next === undefined || next > limit;
      },
    };
  }

  /** A whole token for `frontier`; undefined before the cluster is known. */
  positionOf(frontier: Frontier): string | undefined {
    return this.options.index.codec?.encode(frontier);
  }

  /** Where the live stream of `channels` stands now, as a token: what a new subscription's acknowledgement carries. */
  positionNow(channels: readonly string[]): string | undefined {
    return this.positionOf(this.options.index.frontierNow(this.topicsOf(channels)));
  }

  /** Whether `frontier` is past where this instance's stream stands on some partition (or names one it never handled). */
  aheadOf(frontier: Frontier): boolean {
    const { index } = this.options;
    for (const [key, offset] of frontier) if (offset > (index.next(key) ?? 0)) return true;
    return false;
  }

  /** Resolves true once this instance's stream reaches `frontier`, false if it does not within AHEAD_WAIT_MS or `waiting` turns false. */
  async reach(frontier: Frontier, waiting: () => boolean): Promise<boolean> {
    const giveUpAt = Date.now() + AHEAD_WAIT_MS;
    while (this.aheadOf(frontier)) {
      if (!waiting() || Date.now() >= giveUpAt) return false;
      await sleep(AHEAD_POLL_MS);
    }
    return true;
  }

  /**
   * Reads back what the client was not sent on `channels`, from `start.frontier`. Call it in the
   * tick that subscribes the target to the live stream; it holds the target's live events until
   * it is done (target.release). The frontier must not be ahead of the live stream (aheadOf).
   */
  start(target: ResumeTarget, channels: readonly string[], encoder: ResumableEncoder, start: ResumeStart): void {
    const { index } = this.options;
    const topics = this.topicsOf(channels);
    const from = start.frontier;
    const ranges: ReadRange[] = [];
    // Where the live stream the client gets once released starts: an error hands it as its new position.
    let liveFrom: Frontier = new Map();
    // Up to where the live stream stands now (and again whenever the held live events are dropped).
    const readTo = () => {
      liveFrom = index.frontierNow(topics);
      for (const [key, to] of liveFrom) {
        const range = ranges.find((r) => r.key === key);
        if (range) range.to = Math.max(range.to, to);
        else if ((from.get(key) ?? 0) < to) ranges.push({ key, from: from.get(key) ?? 0, to });
      }
    };
    readTo();
    target.holdLive(readTo, channels, encoder.key);
    const startedAt = process.hrtime.bigint();
    let replayed = 0;
    const finish = (outcome: 'recovered' | 'past_retention' | 'failed') => {
      this.options.metrics.read('kafka', outcome, replayed, Number(process.hrtime.bigint() - startedAt) / 1e9);
      target.release(readTo);
    };
    const unrecoverable = (detail: string) => {
      const position = this.positionOf(liveFrom);
      target.sendError('CANNOT_RECOVER', `${start.label}: ${detail}; continuing with live messages`, {
        ...(start.subscriptionId !== undefined ? { subscription_id: start.subscriptionId } : {}),
        ...(position !== undefined ? { position } : {}),
      });
    };
    void this.turn(target.principal?.userId ?? '', async () => {
      try {
        replayed = await this.read(target, ranges, channels, encoder, start.wanted);
        finish('recovered');
      } catch (err) {
        // The client left the subscription meanwhile: nothing about it may follow the reply that said so.
        if (start.wanted && !start.wanted()) return finish('failed');
        if (err instanceof PastRetentionError) {
          unrecoverable("the missed events are past Kafka's retention");
          return finish('past_retention');
        }
        if (err instanceof StalledClient) {
          unrecoverable(`the client took none of the events read back for ${this.options.stallMs / 1000} s`);
          return finish('failed');
        }
        this.options.logger.warn(
          { err: err instanceof Error ? err.message : String(err), from: start.label },
          'resume read-back from Kafka failed',
        );
        unrecoverable('the missed events could not be read back now');
        finish('failed');
      }
    });
  }

  /**
   * Runs `job` when fewer than maxConcurrent read-backs run and none of `user`'s does. First come,
   * first served alone, one user's far read-backs (a token pointing at the start of retention is
   * easy to write) held every turn, and another user's resume waited 5.6 s behind them in a helper's
   * test; now a user's next read-back waits for their last, and a free turn goes to the user in
   * line whose last turn is oldest.
   */
  private async turn(user: string, job: () => Promise<void>): Promise<void> {
    // A turn is taken where it is given (here or in startWaiting), so no caller slips in between.
    if (this.running < this.options.maxConcurrent && !this.runningOf.has(user)) this.take(user);
    else await new Promise<void>((go) => this.waiting.push({ user, go }));
    try {
      await job();
    } finally {
      this.running--;
      const left = (this.runningOf.get(user) ?? 1) - 1;
      if (left > 0) this.runningOf.set(user, left);
      else this.runningOf.delete(user);
      this.startWaiting();
      // Kept only for users reading or in line: the map stays as small as the queue.
      if (!this.runningOf.has(user) && !this.waiting.some((w) => w.user === user)) this.lastTurnOf.delete(user);
    }
  }

  private take(user: string): void {
    this.running++;
    this.runningOf.set(user, (this.runningOf.get(user) ?? 0) + 1);
    this.lastTurnOf.set(user, ++this.turnsGiven);
  }

  /** Free turns go to waiting users with none running, the one whose last turn is oldest first. */
  private startWaiting(): void {
    while (this.running < this.options.maxConcurrent) {
      let pick = -1;
      for (let i = 0; i < this.waiting.length; i++) {
        const user = this.waiting[i]!.user;
        if (this.runningOf.has(user)) continue;
        if (pick < 0 || (this.lastTurnOf.get(user) ?? 0) < (this.lastTurnOf.get(this.waiting[pick]!.user) ?? 0)) pick = i;
      }
      if (pick < 0) break;
      const [next] = this.waiting.splice(pick, 1);
      this.take(next!.user);
      next!.go();
    }
  }

  /**
   * The event loop's half of a read-back: the reader's thread hands over the client's frames in
   * order, a chunk at a time, already filtered and encoded; they are sent paced (replay_pacing.ts).
   */
  private async read(
    target: ResumeTarget,
    ranges: ReadRange[],
    channels: readonly string[],
    encoder: ResumableEncoder,
    wanted: () => boolean = () => true,
  ): Promise<number> {
    const { reader, index, chunk } = this.options;
    const client = { recipe: encoder.recipe, channels: [...channels], records: chunk };
    const read = reader.open(ranges, index.codec?.parts, client, () => target.principal);
    try {
      return await sendPaced(
        target,
        () => read.next(),
        this.options,
        () => target.isOpen && wanted(),
      );
    } finally {
      read.close();
    }
  }
}

function topicOfKey(key: PartitionKey): string {
  return key.slice(0, key.lastIndexOf('/'));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
