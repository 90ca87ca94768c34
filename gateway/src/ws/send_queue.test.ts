import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { jsonFrame, type Frame } from './encode';
import { MAX_BATCHING_BURST_MS, MAX_BURST_MS, SendQueue, burstClock, flushLongBurst, type FrameSink } from './send_queue';

class FakeSink implements FrameSink {
  blocked = false;
  writes: string[][] = [];
  private waiter: (() => void) | undefined;
  write(frames: readonly Frame[]) {
    this.writes.push(frames.map((f) => f.payload.toString()));
  }
  whenUnblocked(cb: () => void) {
    this.waiter = cb;
  }
  unblock() {
    this.blocked = false;
    const cb = this.waiter;
    this.waiter = undefined;
    cb?.();
  }
}

/** A queue on its own, as a connection extends it. */
class TestQueue extends SendQueue {
  constructor(
    sink: FrameSink | PassThrough,
    private readonly limit: number,
    private readonly overflow: () => void,
  ) {
    super(sink);
  }
  protected get queueLimitBytes() {
    return this.limit;
  }
  protected onOverflow() {
    this.overflow();
  }
}

const frame = (n: number) => jsonFrame({ n });
const nextTick = () => new Promise((r) => setImmediate(r));

/** Runs `fn` on a burst clock only the test moves (`clock.now`), so a busy machine cannot make a burst look long. */
async function withBurstClock(fn: (clock: { now: number }) => Promise<void>): Promise<void> {
  const realClock = burstClock.now;
  const clock = { now: 1000 };
  burstClock.now = () => clock.now;
  try {
    await fn(clock);
  } finally {
    burstClock.now = realClock;
  }
}

describe('SendQueue', () => {
  it('writes the frames of one burst of publishes together, in order, right after the burst', async () => {
    const sink = new FakeSink();
    const q = new TestQueue(sink, 1000, () => {});
    q.push(frame(1));
    q.push(frame(2));
    expect(sink.writes).toEqual([]);
    await nextTick();
    q.push(frame(3));
    await nextTick();
    expect(sink.writes).toEqual([['{"n":1}', '{"n":2}'], ['{"n":3}']]);
    expect(q.bytesQueued).toBe(0);
  });

  it('writes what a long burst queued as it goes, and a short burst only at its end', async () => {
    const early = new FakeSink();
    const late = new FakeSink();
    const a = new TestQueue(early, 1000, () => {});
    const b = new TestQueue(late, 1000, () => {});
    await withBurstClock(async (clock) => {
      a.push(frame(1));
      flushLongBurst();
      expect(early.writes).toEqual([]);
      // the rest of a long burst: thousands of channels published in one go
      clock.now += MAX_BURST_MS;
      flushLongBurst();
      expect(early.writes).toEqual([['{"n":1}']]);
      b.push(frame(2));
      flushLongBurst();
      expect(late.writes).toEqual([]);
      await nextTick();
      expect(late.writes).toEqual([['{"n":2}']]);
      expect(early.writes).toEqual([['{"n":1}']]);
    });
  });

  it('writes the frames a backlog of publishes gives a connection in one write, however long the burst', async () => {
    const sink = new FakeSink();
    const q = new TestQueue(sink, 1000, () => {});
    await withBurstClock(async (clock) => {
      // A turn in which the gateway is behind: each publish takes the whole burst past MAX_BURST_MS.
      const publish = (n: number) => {
        q.push(frame(n));
        clock.now += MAX_BURST_MS;
        flushLongBurst();
      };
      publish(1);
      publish(2);
      publish(3);
      await nextTick();
      // The first frame left early (nothing yet said more would come); the rest waited for the burst's end.
      expect(sink.writes).toEqual([['{"n":1}'], ['{"n":2}', '{"n":3}']]);
      // The next turn's backlog leaves in one write from its first frame on.
      publish(4);
      publish(5);
      publish(6);
      expect(sink.writes).toHaveLength(2);
      await nextTick();
      expect(sink.writes.slice(2)).toEqual([['{"n":4}', '{"n":5}', '{"n":6}']]);
    });
  });

  it('holds a batching connection at most MAX_BATCHING_BURST_MS, and a lone frame no longer than its turn', async () => {
    const sink = new FakeSink();
    const q = new TestQueue(sink, 1000, () => {});
    await withBurstClock(async (clock) => {
      q.push(frame(1));
      q.push(frame(2));
      await nextTick();
      // Batching now: a very long burst still writes what waited once the bound has passed.
      q.push(frame(3));
      clock.now += MAX_BATCHING_BURST_MS - 1;
      flushLongBurst();
      expect(sink.writes).toEqual([['{"n":1}', '{"n":2}']]);
      clock.now += 1;
      flushLongBurst();
      expect(sink.writes).toEqual([['{"n":1}', '{"n":2}'], ['{"n":3}']]);
      await nextTick();
      // One frame in a turn leaves at the end of that turn, batching or not.
      q.push(frame(4));
      await nextTick();
      expect(sink.writes.at(-1)).toEqual(['{"n":4}']);
      // After a burst of one frame it is no longer batching: a long burst writes it after MAX_BURST_MS again.
      q.push(frame(5));
      clock.now += MAX_BURST_MS;
      flushLongBurst();
      expect(sink.writes.at(-1)).toEqual(['{"n":5}']);
      await nextTick();
    });
  });

  it('holds frames while the transport is blocked and sends them in order once it drains', async () => {
    const sink = new FakeSink();
    const q = new TestQueue(sink, 1000, () => {});
    sink.blocked = true;
    q.push(frame(1));
    await nextTick();
    q.push(frame(2));
    await nextTick();
    expect(sink.writes).toEqual([]);
    expect(q.bytesQueued).toBe(14);
    sink.unblock();
    expect(sink.writes).toEqual([['{"n":1}', '{"n":2}']]);
  });

  it('gives up on a client whose backlog would pass the byte limit, once, and accepts nothing more', async () => {
    const sink = new FakeSink();
    let overflows = 0;
    const q = new TestQueue(sink, 20, () => overflows++);
    sink.blocked = true;
    expect(q.push(frame(1))).toBe(true);
    expect(q.push(frame(2))).toBe(true);
    expect(q.push(frame(3))).toBe(false);
    expect(q.push(frame(4))).toBe(false);
    expect(overflows).toBe(1);
    await nextTick();
    sink.unblock();
    expect(sink.writes).toEqual([]);
    expect(q.bytesQueued).toBe(0);
  });

  it('writes a burst bigger than the byte limit to a transport that takes it, instead of giving up on the client', async () => {
    const sink = new FakeSink();
    let overflows = 0;
    const q = new TestQueue(sink, 20, () => overflows++);
    for (let n = 1; n <= 5; n++) expect(q.push(frame(n))).toBe(true);
    await nextTick();
    expect(overflows).toBe(0);
    expect(sink.writes).toEqual([['{"n":1}', '{"n":2}'], ['{"n":3}', '{"n":4}'], ['{"n":5}']]);
  });

  it('takes one message bigger than the byte limit when nothing waits: a big event is not a slow client', async () => {
    // An event whose JSON is over WS_SEND_QUEUE_BYTES (a log line of quotes, each escaped) closed every
    // reader with 4002, and each resume replayed it into the same close.
    const sink = new FakeSink();
    let overflows = 0;
    const q = new TestQueue(sink, 20, () => overflows++);
    const big = jsonFrame({ message: 'x'.repeat(100) });
    expect(q.push(big)).toBe(true);
    expect(q.push(frame(1))).toBe(true);
    await nextTick();
    expect(overflows).toBe(0);
    expect(sink.writes.flat()).toEqual([big.payload.toString(), '{"n":1}']);
    // Behind a blocked transport it is backlog like any other.
    sink.blocked = true;
    expect(q.push(frame(2))).toBe(true);
    expect(q.push(big)).toBe(false);
    expect(overflows).toBe(1);
  });

  it('writes what waits before a close, even to a blocked transport', () => {
    const sink = new FakeSink();
    const q = new TestQueue(sink, 1000, () => {});
    sink.blocked = true;
    q.push(frame(1));
    q.flushBeforeClose();
    expect(sink.writes).toEqual([['{"n":1}']]);
  });

  it('writes complete frames straight to a socket, and waits for it to drain once it is full', async () => {
    const socket = new PassThrough({ highWaterMark: 8 });
    const q = new TestQueue(socket, 1000, () => {});
    q.push(frame(1));
    await nextTick();
    expect(socket.writableNeedDrain).toBe(true);
    q.push(frame(2));
    q.push(frame(3));
    await nextTick();
    expect(q.bytesQueued).toBe(14);
    const wire = [socket.read() as Buffer];
    await nextTick();
    while (socket.readableLength > 0) wire.push(socket.read() as Buffer);
    expect(Buffer.concat(wire)).toEqual(Buffer.concat([1, 2, 3].map((n) => frame(n).wire)));
    expect(q.bytesQueued).toBe(0);
  });
});
