import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TraceCarryover } from './trace_carryover';

describe('TraceCarryover', () => {
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(new TracerProvider());
  });
  afterAll(() => {
    trace.disable();
    context.disable();
  });

  const handleEvent = (name: string, fn: () => void) =>
    trace.getTracer('test').startActiveSpan(name, (span) => {
      fn();
      span.end();
      return span.spanContext().traceId;
    });

  it('runs deferred work in the trace of the latest event for its key, once', async () => {
    const carry = new TraceCarryover();
    handleEvent('tick 1', () => carry.remember('AAPL'));
    const latest = handleEvent('tick 2', () => carry.remember('AAPL'));
    const other = handleEvent('tick 3', () => carry.remember('MSFT'));

    const activeTrace = () => trace.getActiveSpan()?.spanContext().traceId;
    // Later, on a timer with no active span: the work runs in the event's trace.
    const deferred = await new Promise<string | undefined>((resolve) => setTimeout(() => resolve(carry.runIn('AAPL', activeTrace)), 5));
    expect(deferred).toBe(latest);
    expect(carry.runIn('MSFT', activeTrace)).toBe(other);
    // Taken: the next round without news runs in whatever context it is in (none here).
    expect(carry.runIn('AAPL', activeTrace)).toBeUndefined();
  });
});
