import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { jsonFrame, type Frame } from './encode';
import { MAX_BURST_MS, SendQueue, burstClock, flushLongBurst, type FrameSink } from './send_queue';

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
    const realClock = burstClock.now;
    let now = 1000;
    burstClock.now = () => now;
    try {
      a.push(frame(1));
      flushLongBurst();
      expect(early.writes).toEqual([]);
      // the rest of a long burst: thousands of channels published in one go
      now += MAX_BURST_MS;
      flushLongBurst();
      expect(early.writes).toEqual([['{"n":1}']]);
      b.push(frame(2));
      flushLongBurst();
      expect(late.writes).toEqual([]);
      await nextTick();
      expect(late.writes).toEqual([['{"n":2}']]);
      expect(early.writes).toEqual([['{"n":1}']]);
    } finally {
      burstClock.now = realClock;
    }
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
