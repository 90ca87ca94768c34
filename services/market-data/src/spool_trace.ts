import { propagation, ROOT_CONTEXT, type Context } from '@opentelemetry/api';

/**
 * Trace context to and from the W3C traceparent the spool stores. Consecutive events mostly share
 * one context (or none), so the last conversion each way is remembered instead of redone per event.
 */
export class TraceCodec {
  private lastContext: Context | undefined;
  private lastParent: string | null = null;
  private lastRead: string | null = null;
  private lastReadContext: Context = ROOT_CONTEXT;

  traceparent(ctx: Context): string | null {
    if (ctx !== this.lastContext) {
      const carrier: Record<string, string> = {};
      propagation.inject(ctx, carrier);
      this.lastContext = ctx;
      this.lastParent = carrier.traceparent ?? null;
    }
    return this.lastParent;
  }

  context(traceparent: string | null): Context {
    if (traceparent !== this.lastRead) {
      this.lastRead = traceparent;
      this.lastReadContext = traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
    }
    return this.lastReadContext;
  }
}
