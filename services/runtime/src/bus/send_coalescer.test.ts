import { context, createContextKey, ROOT_CONTEXT } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { describe, expect, it } from 'vitest';
import { SendCoalescer, type OutgoingRecord } from './send_coalescer';

const record = (key: string, bytes = 10): OutgoingRecord => ({ topic: 't', key, value: Buffer.alloc(bytes), headers: {} });

function coalescer(limits: { maxRecords?: number; maxBytes?: number } = {}, fail?: (records: OutgoingRecord[]) => boolean) {
  const sends: string[][] = [];
  const c = new SendCoalescer(
    async (records) => {
      sends.push(records.map((r) => r.key));
      await new Promise((r) => setTimeout(r, 5));
      if (fail?.(records)) throw new Error('broker refused');
    },
    { maxRecords: limits.maxRecords ?? 100, maxBytes: limits.maxBytes ?? 1 << 20 },
  );
  return { c, sends };
}

describe('SendCoalescer', () => {
  it('gathers concurrent publishes into one send, in call order', async () => {
    const { c, sends } = coalescer();
    await Promise.all(['a', 'b', 'c'].map((k) => c.submit([record(k)])));
    expect(sends).toEqual([['a', 'b', 'c']]);
  });

  it('queues publishes made while a send is in flight for the next send', async () => {
    const { c, sends } = coalescer();
    const first = c.submit([record('a')]);
    await new Promise((r) => setTimeout(r, 1));
    const later = ['b', 'c', 'd'].map((k) => c.submit([record(k)]));
    await Promise.all([first, ...later]);
    expect(sends).toEqual([['a'], ['b', 'c', 'd']]);
  });

  it('sends outside the context of the publishes it carries, which may be of different traces', async () => {
    const key = createContextKey('publisher');
    const seen: unknown[] = [];
    const c = new SendCoalescer(async () => void seen.push(context.active().getValue(key)), { maxRecords: 100, maxBytes: 1 << 20 });
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    try {
      await Promise.all(['a', 'b'].map((k) => context.with(ROOT_CONTEXT.setValue(key, k), () => c.submit([record(k)]))));
    } finally {
      context.disable();
    }
    expect(seen).toEqual([undefined]);
  });

  it('bounds a send by records and bytes but never splits one publish', async () => {
    const { c, sends } = coalescer({ maxRecords: 3, maxBytes: 1000 });
    await Promise.all([
      c.submit([record('a'), record('b')]),
      c.submit([record('c'), record('d')]),
      c.submit([record('e', 2000)]),
      c.submit([record('f')]),
    ]);
    expect(sends).toEqual([['a', 'b'], ['c', 'd'], ['e'], ['f']]);
  });

  it('rejects the publishes of a failed send and, unsent, those queued behind it; later ones go on', async () => {
    const { c, sends } = coalescer({ maxRecords: 1 }, (records) => records[0].key === 'b');
    const results = await Promise.allSettled(['a', 'b', 'c'].map((k) => c.submit([record(k)])));
    // c may continue b's publisher's batch: landing after b failed would reorder it when retried whole.
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect(sends).toEqual([['a'], ['b']]);
    await c.submit([record('d')]);
    expect(sends).toEqual([['a'], ['b'], ['d']]);
  });

  it('drain() waits for every submitted publish', async () => {
    const { c, sends } = coalescer();
    void c.submit([record('a')]);
    await new Promise((r) => setTimeout(r, 1));
    void c.submit([record('b')]);
    await c.drain();
    expect(sends).toEqual([['a'], ['b']]);
  });
});
