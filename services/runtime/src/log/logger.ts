import { isSpanContextValid, trace } from '@opentelemetry/api';
import pino from 'pino';

export type Logger = pino.Logger;

export interface LoggerOptions {
  /** Defaults to LOG_LEVEL, then `info`. */
  level?: string;
  /** Defaults to stdout; tests pass a stream to read the lines back. */
  destination?: pino.DestinationStream;
}

/** Trace ids of the active span, so a log line can be joined to its trace in the tracing backend. */
function traceFields(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const ctx = span.spanContext();
  if (!isSpanContextValid(ctx)) return {};
  return { trace_id: ctx.traceId, span_id: ctx.spanId, trace_flags: `0${ctx.traceFlags.toString(16)}` };
}

/** JSON lines: `level` as a label, ISO `time`, `service`, and trace ids when written inside a span. */
export function createLogger(service: string, bindings: Record<string, unknown> = {}, options: LoggerOptions = {}): Logger {
  const pinoOptions: pino.LoggerOptions = {
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    base: { service, ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: traceFields,
  };
  return options.destination ? pino(pinoOptions, options.destination) : pino(pinoOptions);
}
