import { describe, expect, it } from 'vitest';
import { ANONYMOUS, type Principal } from '../../auth';
import { marketDataEncoder } from '../doors/door_encoders';
import { Hub } from '../hub';
import type { ResumeTarget } from './kafka_resume';
import { replayFromMemory } from './memory_replay';
import type { ReplayPacing } from './replay_pacing';
import { framesOf, type ReplayFrames } from './replay_frames';

// The paths of a paced memory replay a socket test cannot steer: the client's live events dropped
// for size mid-replay (the replay then reads them from the history too, up to that moment), and
// those events evicted from the history before the replay reached them (CANNOT_RECOVER).

const CHANNEL = 'market-data:AAPL';
const encoder = { ...marketDataEncoder, recipe: { door: 'market-data' as const } };
const pacing: ReplayPacing = { ratePerSecond: 1_000_000, chunk: 50, queueLimitBytes: 1 << 20, stallMs: 60_000 };

let n = 0;
function publish(hub: Hub, count: number): string[] {
  return Array.from({ length: count }, () => {
    const id = `evt-${++n}`;
    const t = new Date().toISOString();
    hub.publish([CHANNEL], {
      id,
      type: 'market_data_update',
      source: 't',
      subject: 'AAPL',
      owner: '',
      time: t,
      traceId: '',
      data: { price: n },
    });
    return id;
  });
}

/** A client as a replay sees it: collects what it is sent, and holds live events as a Connection does. */
class Target implements ResumeTarget {
  readonly principal: Principal | undefined = ANONYMOUS;
  readonly isOpen = true;
  readonly bytesQueued = 0;
  readonly sent: string[] = [];
  readonly errors: { name: string; detail?: string }[] = [];
  onDrop: (() => void) | undefined;
  released!: Promise<void>;
  private done!: () => void;
  constructor() {
    this.released = new Promise((resolve) => (this.done = resolve));
  }
  replayFrames(frames: ReplayFrames): void {
    for (const f of framesOf(frames)) this.sent.push((JSON.parse(f.payload.toString()) as { id: string }).id);
  }
  holdLive(onDrop: () => void): void {
    this.onDrop = onDrop;
  }
  release(): void {
    this.done();
  }
  sendError(name: string, detail?: string): void {
    this.errors.push({ name, detail });
  }
}

function start(hub: Hub, since: string, target: Target): void {
  const recovery = hub.recover([CHANNEL], since, ANONYMOUS);
  if (!recovery.recovered) throw new Error('not in the history');
  replayFromMemory(target, {
    missed: recovery.publications,
    channels: [CHANNEL],
    encoder,
    history: hub,
    pacing,
    wanted: () => true,
    label: `since=${since}`,
  });
}

describe('replayFromMemory', () => {
  it('reads the live events dropped for size from the history too, up to the drop, and no further', async () => {
    const hub = new Hub(1000);
    const [since, ...missed] = publish(hub, 300);
    const target = new Target();
    start(hub, since!, target);
    // Live events the target held, then dropped (more than it could hold): the replay owes them.
    const dropped = publish(hub, 7);
    target.onDrop!();
    // Held after the drop: the target sends these itself once released; the replay must not.
    publish(hub, 3);
    await target.released;
    expect(target.sent).toEqual([...missed, ...dropped]);
    expect(target.errors).toEqual([]);
  });

  it('says CANNOT_RECOVER when what it owes was evicted from the history before it got there', async () => {
    const hub = new Hub(150);
    const [since, ...missed] = publish(hub, 120);
    const target = new Target();
    start(hub, since!, target);
    publish(hub, 200);
    target.onDrop!();
    await target.released;
    expect(target.sent).toEqual(missed);
    expect(target.errors).toEqual([
      {
        name: 'CANNOT_RECOVER',
        detail: `since=${since}: the missed events left this instance's memory while they were being sent; continuing with live messages`,
      },
    ]);
  });
});
