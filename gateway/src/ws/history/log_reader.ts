import { join } from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import type { Logger } from '@marketpulse/runtime';
import { PastRetentionError, type ReadRange } from './kafka_log';
import type { Principal } from '../../auth';
import { serveLogReads, type ReadFor, type ReadReply, type ReadRequest } from './log_read_server';
import type { RangeFetcher } from './merged_read';
import type { PositionCodecParts } from './position_token';
import { frameCount, type ReplayFrames } from './replay_frames';

/** One read-back as the gateway's thread sees it. */
export interface LogRead {
  /**
   * The client's next frames (those of its channels its principal may read, encoded for it), in
   * Kafka time order; null once every range is read to its `to` as it is when the read-back thread
   * gets there. Rejects with PastRetentionError, or an Error when the read failed.
   */
  next(): Promise<ReplayFrames | null>;
  /** Done with it (finished or not): the read-back thread forgets it. */
  close(): void;
}

export interface LogReaderOptions {
  /** Read on this thread when there is no worker to read in (`worker` unset, or the gateway runs from its TypeScript sources). */
  log: RangeFetcher;
  /** Where the read-back thread's own Kafka client connects. */
  worker: { brokers: string[]; clientId: string } | undefined;
  logger: Logger;
}

const WORKER_FILE = join(__dirname, 'log_read_worker.js');
/** Run from TypeScript sources (vitest), a worker thread could not load the modules: reads are then served on this thread, over the same messages. */
const FROM_SOURCES = __filename.endsWith('.ts');
/** A read-back thread with nothing to read stops after this long (its memory and Kafka connection with it). */
const IDLE_STOP_MS = 5 * 60_000;

type Reply = Extract<ReadReply, { frames: unknown }>;

interface Open {
  /** The caller's ranges: their `to` may grow while the read runs. */
  readonly ranges: readonly ReadRange[];
  /** The client's principal as it is now: each pull carries it. */
  readonly principal: () => Principal | undefined;
  /** The answer to the pull in flight, and the ranges that pull carried. */
  ahead: { reply: Promise<Reply>; asked: ReadonlyMap<string, number> } | undefined;
  settle: { resolve: (r: Reply) => void; reject: (e: Error) => void } | undefined;
  /** Read to the end of its ranges. */
  done: boolean;
  /** Why it cannot go on: every later next() rejects with it. */
  failure: Error | undefined;
}

interface Link {
  post(request: ReadRequest): void;
  stop(): Promise<unknown>;
}

/**
 * The gateway's side of the Kafka read-back: hands each read to a worker thread (started at the
 * first read, stopped when idle) and takes back the client's frames, one reply ahead of the caller, so
 * the event loop that delivers live events does not also fetch and decode what a client missed.
 * Several reads share the thread; each has one pull in flight at a time.
 */
export class LogReader {
  private link: Link | undefined;
  private readonly reads = new Map<number, Open>();
  private nextId = 1;
  private idle: NodeJS.Timeout | undefined;

  constructor(private readonly options: LogReaderOptions) {}

  /**
   * Reads `ranges` (the caller may raise their `to` meanwhile) for `client`, as `principal` (read at
   * each pull) may see them; each event gets its `pos` when `codec` is set.
   */
  open(
    ranges: readonly ReadRange[],
    codec: PositionCodecParts | undefined,
    client: ReadFor,
    principal: () => Principal | undefined,
  ): LogRead {
    const id = this.nextId++;
    const read: Open = { ranges, principal, ahead: undefined, settle: undefined, done: false, failure: undefined };
    this.reads.set(id, read);
    clearTimeout(this.idle);
    this.connect().post({ op: 'open', id, ranges: copy(ranges), codec, client });
    return {
      next: () => this.next(id, read),
      close: () => this.forget(id),
    };
  }

  /**
   * Starts the read-back thread now and has it connect and learn where `topics` live, so the first
   * read-back (typically right after a restart, when every client comes back to resume) does not
   * wait for, nor spend its time on, the thread's start. The thread stops as usual when idle.
   */
  warm(topics: readonly string[]): void {
    this.connect().post({ op: 'warm', topics: [...topics] });
    if (this.reads.size === 0) {
      clearTimeout(this.idle);
      this.idle = setTimeout(() => void this.close(), IDLE_STOP_MS).unref();
    }
  }

  /** Stops the read-back thread (the gateway is closing): reads in flight fail; a later read would start another thread. */
  async close(): Promise<void> {
    clearTimeout(this.idle);
    const link = this.link;
    if (!link) return;
    this.lose(link, 'the gateway is closing');
    await link.stop();
  }

  private forget(id: number): void {
    if (!this.reads.delete(id)) return;
    this.link?.post({ op: 'close', id });
    if (this.reads.size === 0) this.idle = setTimeout(() => void this.close(), IDLE_STOP_MS).unref();
  }

  private async next(id: number, read: Open): Promise<ReplayFrames | null> {
    for (;;) {
      if (read.failure) throw read.failure;
      if (read.done) return null;
      const { reply, asked } = read.ahead ?? this.pull(id, read);
      read.ahead = undefined;
      const { frames, end } = await reply;
      // An end is final only if the ranges did not grow after that pull left.
      const finished = end && !grew(read.ranges, asked);
      if (finished) read.done = true;
      else read.ahead = this.pull(id, read);
      if (frameCount(frames) > 0) return frames;
    }
  }

  private pull(id: number, read: Open): NonNullable<Open['ahead']> {
    const reply = new Promise<Reply>((resolve, reject) => (read.settle = { resolve, reject }));
    // A pull ahead may fail while nobody awaits it yet (the thread stopped): next() still sees it.
    void reply.catch(() => undefined);
    const ranges = copy(read.ranges);
    this.connect().post({ op: 'pull', id, ranges, principal: read.principal() });
    return { reply, asked: new Map(ranges.map((r) => [r.key, r.to])) };
  }

  private onReply(reply: ReadReply): void {
    const read = this.reads.get(reply.id);
    const settle = read?.settle;
    if (!read || !settle) return;
    read.settle = undefined;
    if ('frames' in reply) return settle.resolve(reply);
    read.failure = reply.pastRetention !== undefined ? new PastRetentionError(reply.pastRetention) : new Error(reply.failed);
    settle.reject(read.failure);
  }

  /** The thread stopped: every read in flight fails (its client gets CANNOT_RECOVER), the next read starts a new one. */
  private lose(link: Link, why: string): void {
    if (this.link !== link) return;
    this.link = undefined;
    for (const read of this.reads.values()) {
      read.failure = new Error(`the read-back thread stopped: ${why}`);
      read.settle?.reject(read.failure);
      read.settle = undefined;
    }
  }

  private connect(): Link {
    if (this.link) return this.link;
    const { worker: where, log } = this.options;
    if (!where || FROM_SOURCES) {
      const { port1, port2 } = new MessageChannel();
      serveLogReads(port2, log);
      port1.on('message', (reply: ReadReply) => this.onReply(reply));
      port1.unref();
      port2.unref();
      this.link = {
        post: (request) => port1.postMessage(request),
        stop: async () => port1.close(),
      };
      return this.link;
    }
    const worker = new Worker(WORKER_FILE, { workerData: where, name: 'kafka-read-back' });
    worker.unref();
    const link: Link = {
      post: (request) => worker.postMessage(request),
      stop: () => worker.terminate(),
    };
    worker.on('message', (reply: ReadReply) => this.onReply(reply));
    worker.on('error', (err) => {
      this.options.logger.warn({ err: err.message }, 'the Kafka read-back thread failed');
      this.lose(link, err.message);
    });
    worker.on('exit', (code) => this.lose(link, `it exited with code ${code}`));
    this.link = link;
    return link;
  }
}

function copy(ranges: readonly ReadRange[]): ReadRange[] {
  return ranges.map(({ key, from, to }) => ({ key, from, to }));
}

/** Whether a range reaches further than `asked` (or is one it did not carry). */
function grew(ranges: readonly ReadRange[], asked: ReadonlyMap<string, number>): boolean {
  return ranges.some((r) => r.to > (asked.get(r.key) ?? r.from));
}
