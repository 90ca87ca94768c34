import { Writable } from 'node:stream';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { context, trace, TraceFlags } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from './logger';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  const manager = new AsyncLocalStorageContextManager();
  beforeAll(() => context.setGlobalContextManager(manager.enable()));
  afterAll(() => {
    context.disable();
  });

  it('writes JSON lines with a level label, ISO time, service and bindings', () => {
    const { lines, destination } = capture();
    createLogger('alerting', { module: 'rules' }, { destination }).info({ rule: 'r1' }, 'rule saved');
    expect(lines[0]).toMatchObject({
      level: 'info',
      severity_text: 'INFO',
      severity_number: 9,
      'service.name': 'alerting',
      module: 'rules',
      rule: 'r1',
      msg: 'rule saved',
    });
    expect(lines[0]).not.toHaveProperty('service');
    expect(new Date(String(lines[0].time)).toISOString()).toBe(lines[0].time);
    expect(lines[0]).not.toHaveProperty('trace_id');
  });

  it('adds trace_id and span_id to lines written inside an active span', async () => {
    const { lines, destination } = capture();
    const log = createLogger('alerting', {}, { destination });
    const span = trace.wrapSpanContext({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.SAMPLED,
    });
    await context.with(trace.setSpan(context.active(), span), async () => {
      await Promise.resolve();
      log.warn('inside');
    });
    log.info('outside');
    expect(lines[0]).toMatchObject({ level: 'warn', trace_id: '0af7651916cd43dd8448eb211c80319c', span_id: 'b7ad6b7169203331' });
    expect(lines[1]).not.toHaveProperty('trace_id');
  });

  it('falls back to info on a level pino does not know, so reporting a bad LOG_LEVEL cannot crash', () => {
    const { lines, destination } = capture();
    const log = createLogger('x', {}, { destination, level: 'verbose' });
    log.debug('dropped');
    log.warn('kept');
    expect(lines).toEqual([expect.objectContaining({ msg: 'kept', severity_text: 'WARN', severity_number: 13 })]);
  });

  it('honours the level threshold', () => {
    const { lines, destination } = capture();
    const log = createLogger('x', {}, { destination, level: 'warn' });
    log.info('dropped');
    log.error('kept');
    expect(lines.map((l) => l.msg)).toEqual(['kept']);
  });
});
