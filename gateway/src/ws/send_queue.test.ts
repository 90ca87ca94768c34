import { describe, expect, it } from 'vitest';
import { jsonFrame, type Frame } from './encode';
import { SendQueue, type FrameSink } from './send_queue';

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

const frame = (n: number) => jsonFrame({ n });
const nextTick = () => new Promise((r) => setImmediate(r));

describe('SendQueue', () => {
  it('writes the frames of one burst of publishes together, in order, right after the burst', async () => {
    const sink = new FakeSink();
    const q = new SendQueue(sink, 1000, () => {});
    q.push(frame(1));
    q.push(frame(2));
    expect(sink.writes).toEqual([]);
    await nextTick();
    q.push(frame(3));
    await nextTick();
    expect(sink.writes).toEqual([['{"n":1}', '{"n":2}'], ['{"n":3}']]);
    expect(q.queuedBytes).toBe(0);
  });

  it('holds frames while the transport is blocked and sends them in order once it drains', async () => {
    const sink = new FakeSink();
    const q = new SendQueue(sink, 1000, () => {});
    sink.blocked = true;
    q.push(frame(1));
    await nextTick();
    q.push(frame(2));
    await nextTick();
    expect(sink.writes).toEqual([]);
    expect(q.queuedBytes).toBe(14);
    sink.unblock();
    expect(sink.writes).toEqual([['{"n":1}', '{"n":2}']]);
  });

  it('gives up on a client whose backlog would pass the byte limit, once, and accepts nothing more', async () => {
    const sink = new FakeSink();
    let overflows = 0;
    const q = new SendQueue(sink, 20, () => overflows++);
    sink.blocked = true;
    expect(q.push(frame(1))).toBe(true);
    expect(q.push(frame(2))).toBe(true);
    expect(q.push(frame(3))).toBe(false);
    expect(q.push(frame(4))).toBe(false);
    expect(overflows).toBe(1);
    await nextTick();
    sink.unblock();
    expect(sink.writes).toEqual([]);
    expect(q.queuedBytes).toBe(0);
  });

  it('writes what waits before a close, even to a blocked transport', () => {
    const sink = new FakeSink();
    const q = new SendQueue(sink, 1000, () => {});
    sink.blocked = true;
    q.push(frame(1));
    q.flushBeforeClose();
    expect(sink.writes).toEqual([['{"n":1}']]);
  });
});
