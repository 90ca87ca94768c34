import { context, propagation, ROOT_CONTEXT } from '@opentelemetry/api';

/** The W3C traceparent of the active span (null when none, or tracing is off), to store with deferred work. */
export function activeTraceparent(): string | null {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ?? null;
}

/** Runs `fn` in the trace a stored traceparent names, or outside any trace when there is none. */
export function inTraceOf<T>(traceparent: string | null, fn: () => T): T {
  return context.with(traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT, fn);
}

/**
 * Splits stored work into runs of consecutive entries of one trace, keeping their order, so each
 * run can be published in one call inside its own trace without reordering anything.
 */
export function runsByTrace<T extends { traceparent: string | null }>(entries: T[]): T[][] {
  const runs: T[][] = [];
  for (const e of entries) {
    const last = runs.at(-1);
    if (last && last[0].traceparent === e.traceparent) last.push(e);
    else runs.push([e]);
  }
  return runs;
}
