import type { Frame } from './encode';

/** Where a connection's frames go: the raw socket, or ws's sender when the connection compresses. */
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
let flushScheduled = false;

function flushDirty(): void {
  flushScheduled = false;
  const queues = [...dirty];
  dirty.clear();
  for (const q of queues) q.flush();
}

/**
 * The bounded per-connection queue. A push only appends; all queues written to during a burst of
 * publishes (one Kafka batch, one tick) are flushed together right after it, so a client that got
 * several messages gets them in one write. While the transport is blocked, frames stay here; once
 * they would exceed `limitBytes` the queue is dropped and `onOverflow` runs once, so a slow client
 * is disconnected instead of growing memory or holding up a broadcast.
 */
export class SendQueue {
  private frames: Frame[] = [];
  private bytes = 0;
  private scheduled = false;
  private waiting = false;
  private overflowed = false;

  constructor(
    private readonly sink: FrameSink,
    private readonly limitBytes: number,
    private readonly onOverflow: (queuedBytes: number) => void,
  ) {}

  get queuedBytes(): number {
    return this.bytes;
  }

  /** False when the frame was not accepted (the queue overflowed, now or earlier). */
  push(frame: Frame): boolean {
    if (this.overflowed) return false;
    if (this.bytes + frame.byteLength > this.limitBytes) {
      const queued = this.bytes + frame.byteLength;
      this.overflowed = true;
      this.frames = [];
      this.bytes = 0;
      this.onOverflow(queued);
      return false;
    }
    this.frames.push(frame);
    this.bytes += frame.byteLength;
    if (!this.scheduled && !this.waiting) {
      this.scheduled = true;
      dirty.add(this);
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flushDirty);
      }
    }
    return true;
  }

  /** Writes what waits, unless the transport is blocked (then once it drains). */
  flush(): void {
    this.scheduled = false;
    if (this.overflowed || this.frames.length === 0 || this.waiting) return;
    if (this.sink.blocked) {
      this.waiting = true;
      this.sink.whenUnblocked(() => {
        this.waiting = false;
        this.flush();
      });
      return;
    }
    this.writeAll();
  }

  /**
   * Writes what waits even to a blocked transport: for the last messages before a close frame,
   * which would otherwise overtake them.
   */
  flushBeforeClose(): void {
    dirty.delete(this);
    this.scheduled = false;
    if (!this.overflowed && this.frames.length > 0) this.writeAll();
  }

  private writeAll(): void {
    const frames = this.frames;
    this.frames = [];
    this.bytes = 0;
    this.sink.write(frames);
  }
}
