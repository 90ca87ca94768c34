import { events } from '@marketpulse/proto';
import { createLogger } from '@marketpulse/runtime';
import { describe, expect, it } from 'vitest';
import { ANONYMOUS, type Principal } from '../../auth';
import { trpcEncoder as encoder } from '../doors/door_encoders';
import { jsonFrame, type Frame } from '../encode';
import { KafkaResume, type ResumeStart, type ResumeTarget } from './kafka_resume';
import { partitionKey, PastRetentionError, type LogRecord, type ReadRange } from './kafka_log';
import { LogReader } from './log_reader';
import { PositionCodec, positionEpoch, positionKey } from './position_token';
import { PositionIndex } from './positions';
import { framesOf, type ReplayFrames } from './replay_frames';
import type { ResumeMetrics } from './resume_metrics';

const TOPIC = 'p.market_data_update';
const alice: Principal = { ...ANONYMOUS, userId: 'alice', method: 'jwt', channels: ['*'], scopes: ['read'] };

/** Partitions held in memory, read the way KafkaLog reads a broker: `perFetch` records per partition per fetch. */
class FakeLog {
  readonly partitions = new Map<string, LogRecord[]>();
  low = 0;
  fetches = 0;
  constructor(private readonly perFetch = 3) {}

  append(partition: number, id: string, symbol: string, timestamp: number, owner = ''): void {
    const key = partitionKey(TOPIC, partition);
    const log = this.partitions.get(key) ?? [];
    this.partitions.set(key, log);
    const event = events.Event.fromPartial({
      id,
      type: 'market_data_update',
      source: 't',
      subject: symbol,
      owner,
      time: '2024-01-01T00:00:00Z',
      payload: { $case: 'market_data_update', market_data_update: { symbol, price: 1 } },
    });
    log.push({
      topic: TOPIC,
      partition,
      offset: log.length,
      timestamp,
      value: Buffer.from(events.Event.encode(event).finish()),
      headers: {},
    });
  }

  async fetch(ranges: readonly ReadRange[]): Promise<Map<string, LogRecord[]>> {
    this.fetches++;
    await new Promise((r) => setImmediate(r));
    const out = new Map<string, LogRecord[]>();
    for (const range of ranges) {
      if (range.from < this.low) throw new PastRetentionError(range.key);
      const records = (this.partitions.get(range.key) ?? [])
        .filter((r) => r.offset >= range.from && r.offset < range.to)
        .slice(0, this.perFetch);
      if (records.length > 0) range.from = records.at(-1)!.offset + 1;
      out.set(range.key, records);
    }
    return out;
  }
}

/** Where a client that last saw `id` resumes, as the index knows it. */
function after(resume: KafkaResume, id: string): ResumeStart {
  return { frontier: resume.fromId(id, ['market-data:AAPL'])!, label: `since=${id}` };
}

class Target implements ResumeTarget {
  readonly sent: string[] = [];
  readonly errors: string[] = [];
  readonly errorFields: (Readonly<Record<string, unknown>> | undefined)[] = [];
  /** The `pos` of each frame sent, in order. */
  readonly positions: string[] = [];
  held: Frame[] | undefined;
  onDrop: (() => void) | undefined;
  released!: Promise<void>;
  private done!: () => void;
  /** Chunks written, and the frames of each. */
  readonly chunks: number[] = [];
  constructor(public principal: Principal | undefined = alice) {
    this.released = new Promise((r) => (this.done = r));
  }
  isOpen = true;
  bytesQueued = 0;
  replayFrames(frames: ReplayFrames) {
    const each = framesOf(frames);
    this.chunks.push(each.length);
    for (const frame of each) this.replay(frame);
    this.afterChunk?.();
  }
  /** Runs after each chunk written (a test re-authenticates there). */
  afterChunk: (() => void) | undefined;
  replay(frame: Frame) {
    const { id, pos } = JSON.parse(frame.payload.toString()) as { id: string; pos?: string };
    this.sent.push(id);
    if (pos !== undefined) this.positions.push(pos);
  }
  holdLive(onDrop: () => void) {
    this.held = [];
    this.onDrop = onDrop;
  }
  release() {
    for (const frame of this.held ?? []) this.replay(frame);
    this.held = undefined;
    this.done();
  }
  sendError(name: string, _detail?: string, fields?: Readonly<Record<string, unknown>>) {
    this.errors.push(name);
    this.errorFields.push(fields);
  }
  /** What the hub would do: a live event goes to the hold while a read-back runs. */
  live(id: string) {
    if (this.held) this.held.push(jsonFrame({ id }));
    else this.sent.push(id);
  }
}

function setup(perFetch = 3, stallMs = 60_000, queueLimitBytes = 1 << 20) {
  const log = new FakeLog(perFetch);
  const index = new PositionIndex({ capacity: 1000, maxAgeMs: 3_600_000 });
  index.seed(
    new Map([
      [partitionKey(TOPIC, 0), 0],
      [partitionKey(TOPIC, 1), 0],
    ]),
  );
  let handled = 0;
  const handle = (partition: number, id: string, symbol: string, timestamp: number, owner = '') => {
    log.append(partition, id, symbol, timestamp, owner);
    index.record(id, partitionKey(TOPIC, partition), log.partitions.get(partitionKey(TOPIC, partition))!.length - 1, ++handled);
  };
  const reads: string[] = [];
  const metrics: ResumeMetrics = { read: (source, outcome, n) => void reads.push(`${source}:${outcome}:${n}`) };
  const logger = createLogger('test', {}, { level: 'silent' });
  const resume = new KafkaResume({
    reader: new LogReader({ log, worker: undefined, logger }),
    index,
    topicOf: (type) => `p.${type}`,
    eventTypes: ['market_data_update', 'alert_triggered'],
    ratePerSecond: 1_000_000,
    chunk: 2,
    maxConcurrent: 1,
    queueLimitBytes,
    stallMs,
    metrics,
    logger,
  });
  return { log, index, handle, resume, reads };
}

describe('KafkaResume', () => {
  it('reads back what followed the id across partitions in time order, only the channel asked for and what the principal may see', async () => {
    const { handle, resume, reads } = setup();
    handle(0, 'a0', 'AAPL', 10);
    handle(1, 'm0', 'MSFT', 11);
    handle(0, 'a1', 'AAPL', 12);
    handle(1, 'a2', 'AAPL', 13); // AAPL on another partition too: merged by time
    handle(0, 'a3', 'AAPL', 14, 'bob'); // bob's: not alice's to see
    handle(0, 'a4', 'AAPL', 16);
    handle(1, 'a5', 'AAPL', 15);
    const target = new Target();
    resume.start(target, ['market-data:AAPL'], encoder, after(resume, 'a0'));
    await target.released;
    expect(target.sent).toEqual(['a1', 'a2', 'a5', 'a4']);
    expect(target.errors).toEqual([]);
    expect(reads).toEqual(['kafka:recovered:4']);
  });

  it('writes each chunk of frames as one, in order, and a client re-authenticated mid-read gets none of what it may no longer read', async () => {
    const { handle, resume } = setup();
    for (let i = 0; i < 9; i++) handle(i % 2, `a${i}`, 'AAPL', i);
    const target = new Target();
    // After the first chunk the client re-authenticates with a credential for alerts only: the chunks the
    // read-back thread already encoded for its former principal must not reach it.
    target.afterChunk = () => {
      target.principal = { ...alice, channels: ['alerts'] };
      target.afterChunk = undefined;
    };
    resume.start(target, ['market-data:AAPL'], encoder, after(resume, 'a0'));
    await target.released;
    expect(target.sent).toEqual(['a1', 'a2']);
    expect(target.chunks).toEqual([2]);
  });

  it('stops where the live stream stood when it started: live events held meanwhile follow, none twice', async () => {
    const { handle, resume } = setup();
    for (let i = 0; i < 6; i++) handle(0, `a${i}`, 'AAPL', i);
    const target = new Target();
    resume.start(target, ['market-data:AAPL'], encoder, after(resume, 'a1'));
    // Published while it reads: the live stream has them (and the log too).
    handle(0, 'a6', 'AAPL', 6);
    target.live('a6');
    await target.released;
    expect(target.sent).toEqual(['a2', 'a3', 'a4', 'a5', 'a6']);
  });

  it('when the held live events are dropped for size, reads them back too, up to where live stood at that moment', async () => {
    const { handle, resume } = setup(1);
    for (let i = 0; i < 4; i++) handle(0, `a${i}`, 'AAPL', i);
    const target = new Target();
    resume.start(target, ['market-data:AAPL'], encoder, after(resume, 'a0'));
    handle(0, 'a4', 'AAPL', 4);
    target.live('a4');
    handle(0, 'a5', 'AAPL', 5);
    // The hold overflows on a5: everything held is dropped, the read-back goes on to a5.
    target.held = [];
    target.onDrop!();
    handle(0, 'a6', 'AAPL', 6);
    target.live('a6');
    await target.released;
    expect(target.sent).toEqual(['a1', 'a2', 'a3', 'a4', 'a5', 'a6']);
  });

  it("answers CANNOT_RECOVER when the id's position is past retention, then lets live events through", async () => {
    const { log, handle, resume, reads } = setup();
    for (let i = 0; i < 5; i++) handle(0, `a${i}`, 'AAPL', i);
    log.low = 3;
    const target = new Target();
    resume.start(target, ['market-data:AAPL'], encoder, after(resume, 'a0'));
    target.live('a5');
    await target.released;
    expect(target.errors).toEqual(['CANNOT_RECOVER']);
    expect(target.sent).toEqual(['a5']);
    expect(reads).toEqual(['kafka:past_retention:0']);
  });
});

describe('KafkaResume by position token', () => {
  const TOPICS = ['p.market_data_update', 'p.alert_triggered'];
  const channels = ['market-data:AAPL'];

  /** Two instances on one log: `a` handled everything, `b` started later and holds no id at all. */
  function instances() {
    const a = setup();
    a.index.codec = new PositionCodec(positionEpoch('cluster', TOPICS), TOPICS);
    const b = setup();
    b.index.codec = new PositionCodec(positionEpoch('cluster', TOPICS), TOPICS);
    const handle = (partition: number, id: string, symbol: string, timestamp: number) => {
      a.handle(partition, id, symbol, timestamp);
      const offset = a.log.partitions.get(partitionKey(TOPIC, partition))!.length - 1;
      b.log.append(partition, id, symbol, timestamp);
      b.index.record(`other-${id}`, partitionKey(TOPIC, partition), offset, offset + 1);
      return a.index.entryAfter(TOPIC, partition, offset)!;
    };
    return { a, b, handle };
  }

  /** The client's position: the subscription's token with each partition's entry replaced by the last `pos` it got there. */
  function merge(token: string, ...positions: string[]): string {
    const [header, ...entries] = token.split('.');
    const byKey = new Map(entries.map((e) => [positionKey(e), e]));
    for (const pos of positions) byKey.set(positionKey(pos), pos);
    return [header, ...byKey.values()].join('.');
  }

  it('resumes on an instance that never handled the ids, exactly after what the client was sent, every replayed event with its pos', async () => {
    const { a, b, handle } = instances();
    const acknowledged = a.resume.positionNow(channels)!;
    const seen = [handle(0, 'a0', 'AAPL', 10), handle(1, 'a1', 'AAPL', 11)];
    handle(0, 'm0', 'MSFT', 12); // not the client's: it moves partition 0 on, unseen
    handle(0, 'a2', 'AAPL', 13);
    handle(1, 'a3', 'AAPL', 14);
    const position = merge(acknowledged, ...seen);
    const decoded = b.resume.fromPosition(position, channels);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(b.resume.fromId('a1', channels)).toBeUndefined();
    const target = new Target();
    b.resume.start(target, channels, encoder, { frontier: decoded.frontier, label: 'position' });
    await target.released;
    expect(target.sent).toEqual(['a2', 'a3']);
    expect(target.positions).toEqual([a.index.entryAfter(TOPIC, 0, 2), a.index.entryAfter(TOPIC, 1, 1)]);
  });

  it('refuses a malformed token (INVALID_POSITION), a foreign one and one that does not cover the partitions (CANNOT_RECOVER)', () => {
    const { a, b } = instances();
    expect(b.resume.fromPosition('not a token', channels)).toMatchObject({ ok: false, code: 'INVALID_POSITION' });
    const foreign = new PositionCodec(positionEpoch('another', TOPICS), TOPICS).encode(new Map([[partitionKey(TOPIC, 0), 0]]));
    expect(b.resume.fromPosition(foreign, channels)).toMatchObject({ ok: false, code: 'CANNOT_RECOVER' });
    const partial = a.index.codec!.encode(new Map([[partitionKey(TOPIC, 0), 0]]));
    expect(b.resume.fromPosition(partial, channels)).toMatchObject({ ok: false, code: 'CANNOT_RECOVER' });
  });

  it('gives up the turn of a client that takes nothing, however long it stays connected: the next client is read back', async () => {
    // One read-back at a time; the first client's queue stays over half the limit (it reads nothing).
    const { handle, resume, reads } = setup(3, 200);
    for (let i = 0; i < 6; i++) handle(0, `a${i}`, 'AAPL', i);
    const stuck = new Target();
    stuck.bytesQueued = 1 << 20;
    const next = new Target();
    resume.start(stuck, ['market-data:AAPL'], encoder, after(resume, 'a0'));
    resume.start(next, ['market-data:AAPL'], encoder, after(resume, 'a0'));
    const served = await Promise.race([
      next.released.then(() => 'served'),
      new Promise((r) => setTimeout(() => r('still waiting behind the stuck client'), 20_000)),
    ]);
    expect(served).toBe('served');
    expect(next.sent).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
    expect(stuck.errors).toEqual(['CANNOT_RECOVER']);
    expect(reads.map((r) => r.split(':').slice(0, 2).join(':'))).toEqual(['kafka:failed', 'kafka:recovered']);
  }, 30_000);

  it("gives a free turn to the first in line whose user has none running: one user's read-backs do not hold every turn", async () => {
    // One turn, as the setup has it; Mallory's clients read nothing, so each holds it until stallMs.
    const { handle, resume } = setup(3, 200);
    for (let i = 0; i < 6; i++) handle(0, `a${i}`, 'AAPL', i);
    const mallory = { ...alice, userId: 'mallory' };
    const stuck = [new Target(mallory), new Target(mallory), new Target(mallory)];
    for (const t of stuck) t.bytesQueued = 1 << 20;
    const bob = new Target({ ...alice, userId: 'bob' });
    const order: string[] = [];
    stuck.forEach((t, i) => void t.released.then(() => order.push(`mallory${i}`)));
    void bob.released.then(() => order.push('bob'));
    for (const t of stuck) resume.start(t, ['market-data:AAPL'], encoder, after(resume, 'a0'));
    resume.start(bob, ['market-data:AAPL'], encoder, after(resume, 'a0'));
    await Promise.all([...stuck.map((t) => t.released), bob.released]);
    // Before: first come, first served, so Bob came last, after all of Mallory's stalls.
    expect(order).toEqual(['mallory0', 'bob', 'mallory1', 'mallory2']);
    expect(bob.sent).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
  }, 30_000);

  it('sends a chunk bigger than the room left in the queue only once the client took what waited', async () => {
    // A 300-byte queue: each two-event chunk is bigger than the room beside 120 bytes waiting (under half,
    // so the pacing alone would not wait); sent then, the client's queue would overflow (4002).
    const { handle, resume } = setup(3, 60_000, 300);
    for (let i = 0; i < 5; i++) handle(0, `a${i}`, 'AAPL', i);
    const target = new Target();
    const queuedAtSend: number[] = [];
    target.bytesQueued = 120;
    // The client takes what waits every 10 ms; each chunk sent leaves 120 bytes waiting again.
    const drains = setInterval(() => (target.bytesQueued = 0), 10);
    const replay = target.replayFrames.bind(target);
    target.replayFrames = (frames) => {
      queuedAtSend.push(target.bytesQueued);
      replay(frames);
      target.bytesQueued = 120;
    };
    resume.start(target, ['market-data:AAPL'], encoder, after(resume, 'a0'));
    await target.released;
    clearInterval(drains);
    expect(target.sent).toEqual(['a1', 'a2', 'a3', 'a4']);
    expect(queuedAtSend).toEqual([0, 0]);
  });

  it('a position ahead of the stream is told apart, and reached once the stream gets there', async () => {
    const { a, b, handle } = instances();
    const token = a.resume.positionNow(channels)!;
    const ahead = merge(token, a.index.codec!.entry(TOPIC, 0, 5)!);
    const decoded = b.resume.fromPosition(ahead, channels);
    if (!decoded.ok) throw new Error(decoded.detail);
    expect(b.resume.aheadOf(decoded.frontier)).toBe(true);
    const reached = b.resume.reach(decoded.frontier, () => true);
    for (let i = 0; i < 5; i++) handle(0, `a${i}`, 'AAPL', i);
    await expect(reached).resolves.toBe(true);
    expect(b.resume.aheadOf(decoded.frontier)).toBe(false);
  });

  it('past retention: CANNOT_RECOVER carries the subscription and the position the live stream continues from', async () => {
    const { a, handle } = instances();
    const token = a.resume.positionNow(channels)!;
    for (let i = 0; i < 5; i++) handle(0, `a${i}`, 'AAPL', i);
    a.log.low = 3;
    const decoded = a.resume.fromPosition(token, channels);
    if (!decoded.ok) throw new Error(decoded.detail);
    const target = new Target();
    a.resume.start(target, channels, encoder, { frontier: decoded.frontier, label: 'position', subscriptionId: 'sub_1' });
    await target.released;
    expect(target.errors).toEqual(['CANNOT_RECOVER']);
    const fields = target.errorFields[0]!;
    expect(fields.subscription_id).toBe('sub_1');
    expect(a.resume.fromPosition(fields.position as string, channels)).toEqual({
      ok: true,
      frontier: new Map([
        [partitionKey(TOPIC, 0), 5],
        [partitionKey(TOPIC, 1), 0],
      ]),
    });
  });
});
