import { setImmediate as nextTurn } from 'node:timers/promises';
import { events } from '@marketpulse/proto';
import type { Logger } from '@marketpulse/runtime';
import type { Principal } from '../../auth';
import { channelsOf, payloadOf, publicationOf, typesOfChannel } from '../../events/routes';
import { mayReceive } from '../../visibility';
import type { ErrorName } from '../codes';
import type { Frame } from '../encode';
import type { Publication } from '../history';
import type { ChannelEncoder } from '../hub';
import { PastRetentionError, type KafkaLog, type LogRecord, type PartitionKey, type ReadRange } from './kafka_log';
import type { PositionIndex } from './positions';
import type { ResumeMetrics } from './resume_metrics';
import { typeChannel } from './type_channel';

/** A client being caught up: the connection, or a tRPC subscription. */
export interface ResumeTarget {
  /** Read at each replayed event: visibility follows a re-authentication at once. */
  readonly principal: Principal | undefined;
  readonly isOpen: boolean;
  /** Bytes waiting to be sent to it: read-back pauses while they exceed half the queue limit. */
  readonly bytesQueued: number;
  /** Sends a replayed event now, ahead of the live ones held meanwhile. */
  replay(frame: Frame): void;
  /**
   * Holds live events from now until release(). When more arrive than it can hold, it drops them
   * all and calls `onDrop` at once (in the delivery that overflowed): the read-back then reads
   * them from Kafka too, up to the live stream's position at that moment.
   */
  holdLive(onDrop: () => void, channels: readonly string[]): void;
  /** The read-back is over: send the live events held meanwhile, then deliver live ones as they come. */
  release(onDrop: () => void): void;
  sendError(name: ErrorName, detail?: string): void;
}

export interface KafkaResumeOptions {
  log: KafkaLog;
  index: PositionIndex;
  /** Topic of an event type. */
  topicOf: (type: string) => string;
  eventTypes: readonly string[];
  /** Events per second replayed to one client at most (WS_RESUME_READ_RATE). */
  ratePerSecond: number;
  /** Events replayed between two yields to the event loop (WS_RESUME_READ_CHUNK). */
  chunk: number;
  /** Read-backs running at once on this instance; more wait their turn (WS_RESUME_MAX_READS). */
  maxConcurrent: number;
  /** A client's send-queue limit: read-back waits while more than half of it is queued. */
  queueLimitBytes: number;
  metrics: ResumeMetrics;
  logger: Logger;
}

const BACKPRESSURE_POLL_MS = 5;
/** Records buffered ahead of the merge before the next fetch is asked for. */
const PREFETCH_RECORDS = 2000;

/**
 * Catching a client up from Kafka when the in-memory history no longer holds what it missed: the
 * `since` id's position (PositionIndex) up to where the live stream stood when it subscribed,
 * partition by partition, merged in Kafka time order, filtered like live delivery (the channels
 * asked for, mayReceive, the subscription's encoder), sent in chunks at a bounded rate with the
 * client's live events held until it is done. No gap: the live stream delivers exactly the
 * records at or past that stand; no duplicate: the read stops there. Past retention: CANNOT_RECOVER.
 */
export class KafkaResume {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly options: KafkaResumeOptions) {}

  /** Whether `since` has a Kafka position here. */
  canResume(since: string): boolean {
    return this.options.index.has(since);
  }

  /**
   * Reads back what followed `since` on `channels`. Call it in the tick that subscribes the target
   * to the live stream; it holds the target's live events until it is done (target.release).
   */
  start(target: ResumeTarget, channels: readonly string[], encoder: ChannelEncoder, since: string): void {
    const { index, topicOf, eventTypes } = this.options;
    const topics = new Set(channels.flatMap((c) => typesOfChannel(c, eventTypes)).map(topicOf));
    const from = index.frontierAfter(since, topics) ?? new Map<PartitionKey, number>();
    const ranges: ReadRange[] = [];
    // Up to where the live stream stands now (and again whenever the held live events are dropped).
    const readTo = () => {
      for (const [key, to] of index.frontierNow(topics)) {
        const range = ranges.find((r) => r.key === key);
        if (range) range.to = Math.max(range.to, to);
        else if ((from.get(key) ?? 0) < to) ranges.push({ key, from: from.get(key) ?? 0, to });
      }
    };
    readTo();
    target.holdLive(readTo, channels);
    const startedAt = process.hrtime.bigint();
    let replayed = 0;
    const finish = (outcome: 'recovered' | 'past_retention' | 'failed') => {
      this.options.metrics.read('kafka', outcome, replayed, Number(process.hrtime.bigint() - startedAt) / 1e9);
      target.release(readTo);
    };
    void this.turn(async () => {
      try {
        replayed = await this.read(target, ranges, new Set(channels), encoder);
        finish('recovered');
      } catch (err) {
        if (err instanceof PastRetentionError) {
          target.sendError('CANNOT_RECOVER', `since=${since}: the missed events are past Kafka's retention; continuing with live messages`);
          return finish('past_retention');
        }
        this.options.logger.warn({ err: err instanceof Error ? err.message : String(err), since }, 'resume read-back from Kafka failed');
        target.sendError('CANNOT_RECOVER', `since=${since}: the missed events could not be read back now; continuing with live messages`);
        finish('failed');
      }
    });
  }

  /** Runs `job` when fewer than maxConcurrent read-backs run. */
  private async turn(job: () => Promise<void>): Promise<void> {
    if (this.running >= this.options.maxConcurrent) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      await job();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  private async read(target: ResumeTarget, ranges: ReadRange[], channels: ReadonlySet<string>, encoder: ChannelEncoder): Promise<number> {
    const { log, chunk, ratePerSecond, queueLimitBytes } = this.options;
    const buffers = new Map<PartitionKey, { records: LogRecord[]; next: number }>(ranges.map((r) => [r.key, { records: [], next: 0 }]));
    let buffered = 0;
    // One fetch in flight ahead of the merge, so the broker's round trip overlaps the replay.
    let inFlight: Promise<void> | undefined;
    let failure: unknown;
    const refill = (): Promise<void> | undefined => {
      if (inFlight || failure !== undefined) return inFlight;
      const open = ranges.filter((r) => r.from < r.to);
      if (open.length === 0) return undefined;
      inFlight = log.fetch(open).then(
        (fetched) => {
          for (const [key, records] of fetched) {
            const buffer = buffers.get(key)!;
            buffer.records = buffer.next >= buffer.records.length ? records : buffer.records.slice(buffer.next).concat(records);
            buffer.next = 0;
            buffered += records.length;
          }
        },
        (err: unknown) => {
          failure = err;
        },
      );
      void inFlight.finally(() => (inFlight = undefined));
      return inFlight;
    };
    const seen = new Set<string>();
    const began = Date.now();
    let replayed = 0;
    let sinceYield = 0;
    for (;;) {
      if (failure !== undefined) throw failure;
      if (!target.isOpen) return replayed;
      if (buffered < PREFETCH_RECORDS) void refill();
      let head: { key: PartitionKey; record: LogRecord } | undefined;
      let blocked = false;
      for (const range of ranges) {
        const buffer = buffers.get(range.key)!;
        const record = buffer.records[buffer.next];
        if (record === undefined) {
          if (range.from < range.to) blocked = true;
          continue;
        }
        if (!head || before(record, head.record)) head = { key: range.key, record };
      }
      // The merge needs every unfinished range's head: wait for the fetch that brings it.
      if (blocked) {
        await (inFlight ?? refill());
        continue;
      }
      if (!head) return replayed;
      buffers.get(head.key)!.next++;
      buffered--;
      const pub = publicationOfRecord(head.record);
      if (pub && !seen.has(pub.id) && reaches(pub, channels) && mayReceive(target.principal, pub)) {
        seen.add(pub.id);
        const frame = encoder.encode(pub);
        if (frame) {
          target.replay(frame);
          replayed++;
        }
      }
      if (++sinceYield < chunk) continue;
      sinceYield = 0;
      // Fair to everyone else: yield the event loop, keep to the rate, and let the client drain.
      await nextTurn();
      const due = began + (replayed * 1000) / ratePerSecond - Date.now();
      if (due > 0) await sleep(due);
      while (target.isOpen && target.bytesQueued > queueLimitBytes / 2) await sleep(BACKPRESSURE_POLL_MS);
    }
  }
}

function before(a: LogRecord, b: LogRecord): boolean {
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp;
  if (a.topic !== b.topic) return a.topic < b.topic;
  if (a.partition !== b.partition) return a.partition < b.partition;
  return a.offset < b.offset;
}

function reaches(pub: Publication, channels: ReadonlySet<string>): boolean {
  return pub.channels.some((c) => channels.has(c)) || channels.has(typeChannel(pub.type));
}

function headerText(value: LogRecord['headers'][string]): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

/** The publication a record carried, as live delivery would have built it; null for one it skips. */
export function publicationOfRecord(record: LogRecord): Publication | null {
  if (!record.value) return null;
  let event: events.Event;
  try {
    event = events.Event.decode(record.value);
  } catch {
    return null;
  }
  if (!event.id) return null;
  const data = payloadOf(event);
  return { ...publicationOf(event, headerText(record.headers.traceparent), data), seq: 0, channels: channelsOf(event, data) };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
