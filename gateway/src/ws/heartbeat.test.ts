import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CLOSE, type CloseCodeEntry } from './codes';
import { BEAT_SLICE, currentBeat, Heartbeat, type Beating } from './heartbeat';

interface FakeConnection extends Beating {
  lastSeenBeat: number;
  appPings: number;
  protocolPings: number;
  closedWith: CloseCodeEntry | undefined;
}

function connection(appPing = true): FakeConnection {
  return {
    lastSeenBeat: currentBeat(),
    door: { appPing },
    appPings: 0,
    protocolPings: 0,
    closedWith: undefined,
    pingWithApp() {
      this.protocolPings++;
      this.appPings++;
    },
    protocolPing() {
      this.protocolPings++;
    },
    close(entry: CloseCodeEntry) {
      this.closedWith = entry;
    },
  };
}

const pinged = (conns: FakeConnection[]) => conns.filter((c) => c.protocolPings > 0).length;

/** `count` connections under a heartbeat (30 s period, 10 s pong timeout) whose first beat has begun. */
function beating(count: number, onTimeout?: () => void): { conns: FakeConnection[]; heartbeat: Heartbeat } {
  const conns = Array.from({ length: count }, () => connection());
  const heartbeat = new Heartbeat(() => conns, 30_000, 10_000, onTimeout);
  heartbeat.beat();
  return { conns, heartbeat };
}

describe('Heartbeat', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('pings at most BEAT_SLICE connections per turn, so publishes are served between slices, and every connection once', () => {
    const conns = Array.from({ length: BEAT_SLICE * 2 + 50 }, (_, i) => connection(i % 2 === 0));
    const heartbeat = new Heartbeat(() => conns, 30_000, 10_000);
    heartbeat.beat();
    expect(pinged(conns)).toBe(BEAT_SLICE);
    // Each later slice waits for a turn of its own (setImmediate), after the I/O that arrived meanwhile.
    vi.advanceTimersToNextTimer();
    expect(pinged(conns)).toBe(BEAT_SLICE * 2);
    vi.advanceTimersToNextTimer();
    expect(conns.every((c) => c.protocolPings === 1)).toBe(true);
    expect(conns.map((c) => c.appPings)).toEqual(conns.map((c) => (c.door.appPing ? 1 : 0)));
    heartbeat.stop();
  });

  it('closes, timeoutMs after the last slice, the connections silent since the beat began, and only those', () => {
    const onTimeout = vi.fn();
    const { conns, heartbeat } = beating(BEAT_SLICE + 10, onTimeout);
    vi.advanceTimersToNextTimer();
    expect(pinged(conns)).toBe(conns.length);
    // One answers from the first slice, one from the last; the rest stay silent.
    conns[0]!.lastSeenBeat = currentBeat();
    conns[BEAT_SLICE + 5]!.lastSeenBeat = currentBeat();
    vi.advanceTimersByTime(9_999);
    expect(conns.filter((c) => c.closedWith).length).toBe(0);
    vi.advanceTimersByTime(1);
    expect(conns[0]!.closedWith).toBeUndefined();
    expect(conns[BEAT_SLICE + 5]!.closedWith).toBeUndefined();
    expect(conns.filter((c) => c.closedWith === CLOSE.HEARTBEAT_TIMEOUT).length).toBe(conns.length - 2);
    expect(onTimeout).toHaveBeenCalledTimes(conns.length - 2);
    heartbeat.stop();
  });

  it('stop() ends a beat in progress: no later slice, no expiry', () => {
    const { conns, heartbeat } = beating(BEAT_SLICE * 3);
    heartbeat.stop();
    vi.runAllTimers();
    expect(pinged(conns)).toBe(BEAT_SLICE);
    expect(conns.some((c) => c.closedWith)).toBe(false);
  });

  it('a new beat while one is in progress pings every connection once more, not the rest of the old one too', () => {
    const { conns, heartbeat } = beating(BEAT_SLICE * 2);
    heartbeat.beat();
    vi.advanceTimersToNextTimer();
    expect(conns.map((c) => c.protocolPings).sort()).toEqual([...Array(BEAT_SLICE).fill(1), ...Array(BEAT_SLICE).fill(2)].sort());
    heartbeat.stop();
  });
});
