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

/** OpenTelemetry's log data model: SeverityNumber of each pino level (TRACE=1 … FATAL=21). */
const SEVERITY: Record<string, { text: string; number: number }> = {
  trace: { text: 'TRACE', number: 1 },
  debug: { text: 'DEBUG', number: 5 },
  info: { text: 'INFO', number: 9 },
  warn: { text: 'WARN', number: 13 },
  error: { text: 'ERROR', number: 17 },
  fatal: { text: 'FATAL', number: 21 },
};

/**
 * A level pino knows, else `info`: the logger exists before the configuration is validated (to
 * report it), so a bad LOG_LEVEL must not crash it; loadConfig reports the bad value.
 */
function knownLevel(level: string | undefined): string {
  return level !== undefined && (level === 'silent' || level in SEVERITY) ? level : 'info';
}

/**
 * JSON lines in one shape for every process, with OpenTelemetry's names: ISO `time`, `level` (the
 * label), `severity_text` and `severity_number`, `service.name`, `msg`, the bindings, and
 * `trace_id`, `span_id`, `trace_flags` when written inside a span.
 */
export function createLogger(service: string, bindings: Record<string, unknown> = {}, options: LoggerOptions = {}): Logger {
  const pinoOptions: pino.LoggerOptions = {
    level: knownLevel(options.level ?? process.env.LOG_LEVEL),
    base: { 'service.name': service, ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => {
        const s = SEVERITY[label];
        return s ? { level: label, severity_text: s.text, severity_number: s.number } : { level: label };
      },
    },
    mixin: traceFields,
  };
  return options.destination ? pino(pinoOptions, options.destination) : pino(pinoOptions);
}
