import { context, trace, type Context } from '@opentelemetry/api';

/**
 * Carries a trace across a deferral: work done later for a key (a forecast round on a timer, a
 * batch flushed by a poller) continues the trace of the latest event that touched that key, so a
 * tick, the prediction it led to and the alert that prediction raised are one trace.
 *
 *   const carry = new TraceCarryover();
 *   // in the event handler:   carry.remember(symbol);
 *   // in the timer, per key:  await carry.runIn(symbol, () => bus.publish([prediction]));
 *
 * Holds one context per key; a key that is never taken keeps only its latest context.
 */
export class TraceCarryover {
  private readonly latest = new Map<string, Context>();

  /** Remembers the active context (the event being handled) as the latest one for `key`. */
  remember(key: string): void {
    if (trace.getActiveSpan()?.isRecording()) this.latest.set(key, context.active());
  }

  /** Runs `fn` in the context remembered for `key` and forgets it; in the current context when none is. */
  runIn<T>(key: string, fn: () => T): T {
    const remembered = this.latest.get(key);
    if (!remembered) return fn();
    this.latest.delete(key);
    return context.with(remembered, fn);
  }
}
