import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { TracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { metricsRegistry } from '../metrics/registry';
import type { Database } from './database';
import { openDatabase } from './open_database';

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });

/** The spans ended so far (the processor hands them to the exporter asynchronously). */
async function finished() {
  await provider.forceFlush();
  return exporter.getFinishedSpans();
}

describe('PGlite spans and timings', () => {
  let dir: string;
  let db: Database;
  const tracer = () => trace.getTracer('test');

  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(provider);
    dir = mkdtempSync(join(tmpdir(), 'mp-pglite-trace-'));
    db = await openDatabase({ service: 'trace-test', dataDir: dir });
    await db.migrate([{ id: '001_things', sql: 'CREATE TABLE things (id text PRIMARY KEY, n int NOT NULL)' }]);
  }, 60_000);

  afterAll(async () => {
    await db?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    trace.disable();
    context.disable();
  });

  beforeEach(() => exporter.reset());

  const inParent = <T>(fn: () => Promise<T>) =>
    tracer().startActiveSpan('handle event', async (span) => {
      try {
        return { result: await fn(), parent: span.spanContext() };
      } finally {
        span.end();
      }
    });

  it('gives each statement inside a span a client span with the database conventions', async () => {
    const { parent } = await inParent(() => db.query('SELECT n FROM things WHERE id = $1', ['a']));
    const [span] = (await finished()).filter((s) => s.name !== 'handle event');
    expect(span.name).toBe('SELECT trace_test');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.parentSpanContext?.spanId).toBe(parent.spanId);
    expect(span.spanContext().traceId).toBe(parent.traceId);
    expect(span.attributes).toMatchObject({
      'db.system.name': 'postgresql',
      'db.namespace': 'trace_test',
      'db.operation.name': 'SELECT',
      'db.query.text': 'SELECT n FROM things WHERE id = $1',
    });
  });

  it('groups a transaction under one span and marks a failed statement with its SQLSTATE', async () => {
    await inParent(() =>
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO things (id, n) VALUES ($1, $2)', ['b', 2]);
        await tx.query('UPDATE things SET n = n + 1 WHERE id = $1', ['b']);
      }),
    );
    const spans = await finished();
    const txSpan = spans.find((s) => s.name === 'transaction trace_test')!;
    const children = spans.filter((s) => s.parentSpanContext?.spanId === txSpan.spanContext().spanId).map((s) => s.name);
    expect(children).toEqual(['INSERT trace_test', 'UPDATE trace_test']);

    exporter.reset();
    await expect(inParent(() => db.query('SELECT * FROM no_such_table'))).rejects.toThrow();
    const failed = (await finished()).find((s) => s.name === 'SELECT trace_test')!;
    expect(failed.status.code).toBe(SpanStatusCode.ERROR);
    expect(failed.attributes['error.type']).toBe('42P01');
  });

  it('starts no trace for statements outside any span (pollers), but still times them', async () => {
    const count = async () => {
      const text = await metricsRegistry().metrics();
      const line = text
        .split('\n')
        .find((l) =>
          l.startsWith('marketpulse_db_query_duration_seconds_count{system="pglite",schema="trace_test",operation="SELECT",outcome="ok"}'),
        );
      return Number(line?.split(' ').pop() ?? 0);
    };
    const before = await count();
    await db.query('SELECT count(*) FROM things');
    expect(await finished()).toEqual([]);
    expect(await count()).toBe(before + 1);
  });
});
