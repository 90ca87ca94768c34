import { Duplex } from 'node:stream';
import type { Frame } from './encode';
import { socketBlocked, whenSocketDrains, writeToSocket } from './sink_socket';

/**
 * Where a connection's frames go when they cannot be written to its socket as they are (ws's
 * compressor, a test's fake). A plain socket is written directly and needs no such object.
 */
export interface FrameSink {
  /** True while the transport already holds as much as it should; frames wait in the queue. */
  readonly blocked: boolean;
  /** Writes the frames in order, as few system calls as the transport allows. */
  write(frames: readonly Frame[]): void;
  /** Calls `cb` once, when the transport can take more. */
  whenUnblocked(cb: () => void): void;
}

/** Queues with frames to write, flushed together once the current burst of publishes is over. */
const dirty = new Set<SendQueue>();
/**
 * Queues of connections that get several frames per burst (a backlog of publishes handled in one
 * turn, a client subscribed to many busy channels): they wait for the end of the burst, up to
 * MAX_BATCHING_BURST_MS, so each of their bursts costs one write instead of one per frame.
 */
const batching = new Set<SendQueue>();
/** When the current burst's first frame was queued in `dirty`; -1 while nothing waits there. */
let burstStartedAt = -1;
/** The same for `batching`. */
let batchingStartedAt = -1;
let immediatePending = false;
/** Counts bursts (event-loop turns with frames to write), so a queue can tell a burst's first frame. */
let burstNumber = 1;

/**
 * Longest a burst keeps back the frames of a connection that gets one frame per burst. A Kafka
 * batch is usually far shorter, so a client still gets all of a batch's messages in one write; a
 * long burst (thousands of channels published in one go) goes out as it is published instead of
 * every client waiting for its end.
 */
export const MAX_BURST_MS = 1;

/**
 * Longest a burst keeps back the frames of a connection that gets several per burst. While the
 * gateway is behind, a turn handles many publishes, and writing each connection's frames once per
 * turn rather than once per publish is what lets it catch up (issue 19: the write system call was
 * half the CPU of a delivery at 1000 × 1 @ 100); the bound keeps a long turn from holding them all.
 */
export const MAX_BATCHING_BURST_MS = 20;

/** The clock bursts are timed by; a test sets it, so a busy machine cannot make a burst look long. */
export const burstClock = { now: (): number => performance.now() };

function flushAll(queues: Set<SendQueue>): void {
  const taken = [...queues];
  queues.clear();
  for (const q of taken) q.flush();
}

function onImmediate(): void {
  immediatePending = false;
  burstNumber++;
  burstStartedAt = batchingStartedAt = -1;
  flushAll(dirty);
  flushAll(batching);
}

/** Writes what the current burst queued if it has waited long enough; the hub calls it after each publish. */
export function flushLongBurst(): void {
  const now = burstClock.now();
  if (burstStartedAt >= 0 && now - burstStartedAt >= MAX_BURST_MS) {
    burstStartedAt = -1;
    flushAll(dirty);
  }
  if (batchingStartedAt >= 0 && now - batchingStartedAt >= MAX_BATCHING_BURST_MS) {
    batchingStartedAt = -1;
    flushAll(batching);
  }
}

// The queue's states, one small integer per connection rather than a flag for each.
/** Nothing waits to be flushed. */
const IDLE = 0;
/** In `dirty`: flushed right after the current burst. */
const SCHEDULED = 1;
/** The transport is blocked: flushed once it drains. */
const WAITING = 2;
/** Gave up on the client (too much waited): accepts nothing more. */
const OVERFLOWED = 3;
type QueueState = typeof IDLE | typeof SCHEDULED | typeof WAITING | typeof OVERFLOWED;

/**
 * The bounded per-connection queue, the base of a connection so its state costs the connection a
 * few fields rather than objects of its own. A push only appends; all queues written to during a
 * burst of publishes (one Kafka batch, one tick) are flushed together right after it, so a client
 * that got several messages gets them in one write. While the transport is blocked, frames stay
 * here; once they would exceed `queueLimitBytes` the queue is dropped and `onOverflow` runs once,
 * so a slow client is disconnected instead of growing memory or holding up a broadcast.
 */
export abstract class SendQueue {
  /** What waits, oldest first: usually nothing or one frame, so an array only for two or more. */
  private queued: Frame | Frame[] | undefined = undefined;
  private queuedBytes = 0;
  private queueState: QueueState = IDLE;
  /** The burst this queue last got a frame in, and how many frames it got in it. */
  private lastBurst = 0;
  private burstFrames = 0;
  /** Got two or more frames in its last burst, or already in this one: waits in `batching`. */
  private batches = false;

  /** `out`: the upgraded socket, written directly, or a sink when frames need more (compression). */
  constructor(private readonly out: Duplex | FrameSink) {}

  /** Bytes that may wait; the same for every connection of a gateway, so read from shared settings. */
  protected abstract get queueLimitBytes(): number;

  /** The client fell too far behind; runs once. */
  protected abstract onOverflow(queuedBytes: number): void;

  /** Whether frames go to the socket as they are (Frame.wire), so several may be written as one Frame.ofWire. */
  protected get writesWire(): boolean {
    return this.out instanceof Duplex;
  }

  get bytesQueued(): number {
    return this.queuedBytes;
  }

  /** False when the frame was not accepted (the queue overflowed, now or earlier). */
  push(frame: Frame): boolean {
    if (this.queueState === OVERFLOWED) return false;
    // Frames that wait only for the end of the burst are not the client's backlog: a burst bigger
    // than the limit goes out now, so a reading client is not taken for a slow one.
    if (this.queueState === SCHEDULED && this.queuedBytes + frame.byteLength > this.queueLimitBytes) {
      this.unschedule();
      this.flush();
    }
    const bytes = this.queuedBytes + frame.byteLength;
    // One message over the limit into an empty queue is a big event, not a client behind: taken.
    if (bytes > this.queueLimitBytes && this.queued !== undefined) {
      this.queueState = OVERFLOWED;
      this.queued = undefined;
      this.queuedBytes = 0;
      this.unschedule();
      this.onOverflow(bytes);
      return false;
    }
    const queued = this.queued;
    if (queued === undefined) this.queued = frame;
    else if (Array.isArray(queued)) queued.push(frame);
    else this.queued = [queued, frame];
    this.queuedBytes = bytes;
    if (this.lastBurst !== burstNumber) {
      this.batches = this.burstFrames >= 2;
      this.lastBurst = burstNumber;
      this.burstFrames = 0;
    }
    if (++this.burstFrames === 2 && !this.batches) {
      // Its second frame this burst: more are likely (a backlog), so the rest wait for the burst's end.
      this.batches = true;
      if (this.queueState === SCHEDULED) {
        dirty.delete(this);
        this.queueState = IDLE;
      }
    }
    if (this.queueState === IDLE) {
      this.queueState = SCHEDULED;
      if (this.batches) {
        batching.add(this);
        if (batchingStartedAt < 0) batchingStartedAt = burstClock.now();
      } else {
        dirty.add(this);
        if (burstStartedAt < 0) burstStartedAt = burstClock.now();
      }
      if (!immediatePending) {
        immediatePending = true;
        setImmediate(onImmediate);
      }
    }
    return true;
  }

  /** Writes what waits, unless the transport is blocked (then once it drains). */
  flush(): void {
    if (this.queueState === OVERFLOWED) return;
    this.queueState = IDLE;
    if (this.queued === undefined) return;
    const out = this.out;
    const blocked = out instanceof Duplex ? socketBlocked(out) : out.blocked;
    if (!blocked) return this.writeAll();
    this.queueState = WAITING;
    // A closure per wait, not per connection: only a client that is behind has one.
    const resume = () => {
      if (this.queueState === WAITING) this.flush();
    };
    if (out instanceof Duplex) whenSocketDrains(out, resume);
    else out.whenUnblocked(resume);
  }

  /**
   * Writes what waits even to a blocked transport: for the last messages before a close frame,
   * which would otherwise overtake them.
   */
  flushBeforeClose(): void {
    if (this.queueState === OVERFLOWED) return;
    this.unschedule();
    this.queueState = IDLE;
    if (this.queued !== undefined) this.writeAll();
  }

  private unschedule(): void {
    dirty.delete(this);
    batching.delete(this);
  }

  private writeAll(): void {
    const queued = this.queued!;
    this.queued = undefined;
    this.queuedBytes = 0;
    if (this.out instanceof Duplex) writeToSocket(this.out, queued);
    else this.out.write(Array.isArray(queued) ? queued : [queued]);
  }
}
