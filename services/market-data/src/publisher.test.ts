import { cpSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { events } from '@marketpulse/proto';
import { createLogger, type Bus } from '@marketpulse/runtime';
import { context, createContextKey, ROOT_CONTEXT } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventPublisher } from './publisher';
import { SpoolFile } from './spool_file';

const event = (i: number | string): events.Event => ({
  id: `e${i}`,
  type: 'market_data_update',
  source: 'test',
  subject: 'AAPL',
  time: undefined,
  owner: '',
  payload: undefined,
});
const logger = createLogger('test', {}, { level: 'silent' });

/** A bus that refuses while `down` is true (or for the first `failFirst` calls). */
function flakyBus(failFirst = 0) {
  const accepted: string[] = [];
  let calls = 0;
  const state = { down: false };
  const bus: Bus = {
    publish: async (input) => {
      calls++;
      if (state.down || calls <= failFirst) throw new Error('broker unavailable');
      accepted.push(...(Array.isArray(input) ? input : [input]).map((e) => e.id));
    },
    subscribe: async () => ({ close: async () => undefined }),
    health: async () => ({ ok: true, detail: '' }),
    close: async () => undefined,
  };
  return { bus, accepted, state };
}

/** A bus that takes publishes and answers none (a broker gone silent, its client retrying) until `answer()`. */
function silentBus() {
  const accepted: string[] = [];
  const unanswered: (() => void)[] = [];
  let silent = true;
  const bus: Bus = {
    publish: (input) => {
      const ids = (Array.isArray(input) ? input : [input]).map((e) => e.id);
      if (!silent) return Promise.resolve(void accepted.push(...ids));
      return new Promise<void>((resolve) => unanswered.push(() => resolve(void accepted.push(...ids))));
    },
    subscribe: async () => ({ close: async () => undefined }),
    health: async () => ({ ok: true, detail: '' }),
    close: async () => undefined,
  };
  const answer = () => {
    silent = false;
    for (const reply of unanswered.splice(0)) reply();
  };
  return { bus, accepted, answer };
}

/** Every event id in a spool file, read back in pieces. */
async function spooledIds(file: SpoolFile): Promise<string[]> {
  const out: string[] = [];
  for (let at = 0; ;) {
    const { records, next } = await file.read(at, 16);
    if (records.length === 0) return out;
    out.push(...records.map((r) => r.event.id));
    at = next;
  }
}

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('EventPublisher', () => {
  it('publishes in queue order, in batches, and retries a failed batch without loss or duplicates', async () => {
    const { bus, accepted } = flakyBus(2);
    const publisher = new EventPublisher({ bus, logger, batchSize: 7 });
    for (let i = 0; i < 50; i++) publisher.enqueue(event(i));
    await publisher.drain();
    expect(accepted).toEqual(Array.from({ length: 50 }, (_, i) => `e${i}`));
    expect(publisher.failures).toBe(2);
    expect(publisher.backlog()).toBe(0);
  });

  it('gives up on close when the bus stays away, and reports what was left', async () => {
    const { bus } = flakyBus(Infinity);
    const publisher = new EventPublisher({ bus, logger, batchSize: 10 });
    for (let i = 0; i < 25; i++) publisher.enqueue(event(i));
    expect(await publisher.close(300)).toBe(25);
  });
});

describe('EventPublisher with events queued in different contexts (a trace per tick)', () => {
  beforeAll(() => void context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable()));
  afterAll(() => context.disable());

  it('hands a batch to the bus at once, one publish per context, in order and each in its own context', async () => {
    const queuedIn = createContextKey('queued in');
    const calls: { ids: string[]; context: unknown }[] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    const bus: Bus = {
      publish: async (input) => {
        calls.push({ ids: (Array.isArray(input) ? input : [input]).map((e) => e.id), context: context.active().getValue(queuedIn) });
        mostInFlight = Math.max(mostInFlight, ++inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
      },
      subscribe: async () => ({ close: async () => undefined }),
      health: async () => ({ ok: true, detail: '' }),
      close: async () => undefined,
    };
    const publisher = new EventPublisher({ bus, logger, batchSize: 8 });
    for (let i = 0; i < 8; i++) context.with(ROOT_CONTEXT.setValue(queuedIn, i), () => publisher.enqueue(event(i)));
    await publisher.drain();
    expect(calls).toEqual(Array.from({ length: 8 }, (_, i) => ({ ids: [`e${i}`], context: i })));
    // Concurrent publishes are what the Kafka bus gathers into one send; one at a time, each would be a send.
    expect(mostInFlight).toBe(8);
  });
});

describe('EventPublisher with a spool', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'publisher-spool-'));
    path = join(dir, 'events.spool');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** What a crash leaves on disk: a copy of the spool as it is now, opened by a new process. */
  async function spoolAfterCrash(): Promise<SpoolFile> {
    const copy = join(dir, 'after-crash', 'events.spool');
    cpSync(path, copy);
    return SpoolFile.open(copy, logger);
  }

  it('touches no disk while the bus accepts everything', async () => {
    const { bus, accepted } = flakyBus();
    const publisher = new EventPublisher({ bus, logger, batchSize: 100, spool: { file: await SpoolFile.open(path, logger), flushMs: 10 } });
    for (let i = 0; i < 500; i++) publisher.enqueue(event(i));
    await publisher.drain();
    expect(accepted).toHaveLength(500);
    expect(publisher.spooled).toBe(0);
    expect(statSync(path).size).toBe(0);
    expect(await publisher.close(1000)).toBe(0);
  });

  it('writes the backlog to the spool while the bus fails, and empties it once the bus took it', async () => {
    const { bus, accepted, state } = flakyBus();
    state.down = true;
    const file = await SpoolFile.open(path, logger);
    const appends = vi.spyOn(file, 'append');
    const publisher = new EventPublisher({ bus, logger, batchSize: 50, spool: { file, flushMs: 20 } });
    for (let i = 0; i < 100; i++) publisher.enqueue(event(i));
    await until(() => publisher.spooled === 100, 'the first 100 events in the spool');
    const writesBefore = appends.mock.calls.length;
    for (let i = 100; i < 130; i++) publisher.enqueue(event(i));
    await until(() => publisher.spooled === 130, 'events queued later in the spool too');
    expect(appends.mock.calls.length - writesBefore, '30 events queued at once cost one write and fsync').toBe(1);
    const crashed = await spoolAfterCrash();
    expect(await spooledIds(crashed)).toEqual(Array.from({ length: 130 }, (_, i) => `e${i}`));
    await crashed.close();

    state.down = false;
    await publisher.drain();
    expect(accepted).toEqual(Array.from({ length: 130 }, (_, i) => `e${i}`));
    await until(() => statSync(path).size === 0, 'the spool emptied after the bus acknowledged it');
    expect(await publisher.close(1000)).toBe(0);
  });

  it('writes what waits behind a publish the bus has not answered for flushMs, before the bus reports any failure', async () => {
    // An outage starts as a publish that hangs while the bus retries (seconds with Kafka), not as a failure.
    const { bus, accepted, answer } = silentBus();
    const file = await SpoolFile.open(path, logger);
    const publisher = new EventPublisher({ bus, logger, batchSize: 50, spool: { file, flushMs: 20 } });
    for (let i = 0; i < 10; i++) publisher.enqueue(event(i));
    await until(() => publisher.spooled === 10, 'the unanswered batch in the spool');
    for (let i = 10; i < 15; i++) publisher.enqueue(event(i));
    await until(() => publisher.spooled === 15, 'events queued behind it in the spool too');
    expect(publisher.failures, 'the bus has reported no failure').toBe(0);
    const crashed = await spoolAfterCrash();
    expect(await spooledIds(crashed), 'a crash now loses none of them').toEqual(Array.from({ length: 15 }, (_, i) => `e${i}`));
    await crashed.close();

    answer();
    await publisher.drain();
    expect(accepted).toEqual(Array.from({ length: 15 }, (_, i) => `e${i}`));
    await until(() => statSync(path).size === 0, 'the spool emptied once the bus answered');
    for (let i = 15; i < 20; i++) publisher.enqueue(event(i));
    await publisher.drain();
    expect(publisher.spooled, 'a bus that answers again is not spooled for').toBe(15);
    expect(await publisher.close(1000)).toBe(0);
  });

  it('after a crash publishes the recovered events before anything newer, with the same ids', async () => {
    const down = flakyBus();
    down.state.down = true;
    const crashing = new EventPublisher({
      bus: down.bus,
      logger,
      batchSize: 10,
      spool: { file: await SpoolFile.open(path, logger), flushMs: 5 },
    });
    for (let i = 0; i < 40; i++) crashing.enqueue(event(`old${i}`));
    await until(() => crashing.spooled === 40, 'the backlog in the spool');

    const { bus, accepted } = flakyBus();
    const restarted = new EventPublisher({ bus, logger, batchSize: 7, spool: { file: await spoolAfterCrash(), flushMs: 5 } });
    for (let i = 0; i < 5; i++) restarted.enqueue(event(`new${i}`));
    await restarted.drain();
    expect(accepted).toEqual([...Array.from({ length: 40 }, (_, i) => `eold${i}`), ...Array.from({ length: 5 }, (_, i) => `enew${i}`)]);
    await until(() => statSync(join(dir, 'after-crash', 'events.spool')).size === 0, 'the recovered spool emptied');
    expect(await restarted.close(1000)).toBe(0);
    expect(await crashing.close(50)).toBe(0);
  });

  it('keeps what the bus did not take at shutdown in the spool instead of losing it', async () => {
    const { bus, state } = flakyBus();
    state.down = true;
    const publisher = new EventPublisher({
      bus,
      logger,
      batchSize: 10,
      spool: { file: await SpoolFile.open(path, logger), flushMs: 10_000 },
    });
    for (let i = 0; i < 25; i++) publisher.enqueue(event(i));
    expect(await publisher.close(300)).toBe(0);
    const next = await SpoolFile.open(path, logger);
    expect(await spooledIds(next)).toEqual(Array.from({ length: 25 }, (_, i) => `e${i}`));
    await next.close();
  });
});

describe('EventPublisher during a long outage', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'publisher-bound-'));
    path = join(dir, 'events.spool');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps at most memoryEvents in memory, the rest only in the spool, and publishes every event once, in order, when the bus returns', async () => {
    const { bus, accepted, state } = flakyBus();
    state.down = true;
    const memoryEvents = 200;
    const round = 50;
    const publisher = new EventPublisher({
      bus,
      logger,
      batchSize: 30,
      spool: { file: await SpoolFile.open(path, logger), flushMs: 5, memoryEvents },
    });
    const total = 5000;
    for (let i = 0; i < total; i += round) {
      for (let j = i; j < i + round; j++) publisher.enqueue(event(j));
      // A feed interleaves with I/O: each round is on disk before the next arrives.
      await until(() => publisher.spooled >= i + round, `round ${i / round} in the spool`);
      expect(publisher.inMemory()).toBeLessThanOrEqual(memoryEvents);
    }
    expect(publisher.backlog()).toBe(total);
    // Memory never held more than the bound plus one round queued between two writes.
    expect(publisher.peakInMemory).toBeLessThanOrEqual(memoryEvents + round);

    state.down = false;
    // New events while the backlog is read back from the file come after it.
    for (let i = total; i < total + 100; i++) publisher.enqueue(event(i));
    await publisher.drain();
    expect(accepted).toEqual(Array.from({ length: total + 100 }, (_, i) => `e${i}`));
    expect(publisher.peakInMemory).toBeLessThanOrEqual(memoryEvents + round);
    await until(() => statSync(path).size === 0, 'the spool emptied after the bus took everything');
    expect(await publisher.close(1000)).toBe(0);
  });

  it('at the next start replays a spool larger than memoryEvents in order, holding at most the bound', async () => {
    const writer = await SpoolFile.open(path, logger);
    const total = 3000;
    for (let i = 0; i < total; i += 500)
      await writer.append(Array.from({ length: 500 }, (_, j) => ({ event: event(i + j), traceparent: null })));
    await writer.close();

    const { bus, accepted } = flakyBus(3);
    const publisher = new EventPublisher({
      bus,
      logger,
      batchSize: 40,
      spool: { file: await SpoolFile.open(path, logger), flushMs: 5, memoryEvents: 100 },
    });
    publisher.enqueue(event('new'));
    await publisher.drain();
    expect(accepted).toEqual([...Array.from({ length: total }, (_, i) => `e${i}`), 'enew']);
    expect(publisher.peakInMemory).toBeLessThanOrEqual(100);
    expect(await publisher.close(1000)).toBe(0);
  });
});
