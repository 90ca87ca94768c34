import { SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';

const tracer = trace.getTracer('@marketpulse/runtime/db');

/** Longest query text put on a span; the statements are parameterised, so the text holds no values. */
const MAX_QUERY_TEXT = 2000;

/** The statement's first keyword (SELECT, INSERT, CREATE, ...), the operation name of the conventions. */
export function sqlOperation(sql: string): string {
  const match = /^\s*(?:(?:--[^\n]*\n|\/\*[\s\S]*?\*\/)\s*)*([A-Za-z]+)/.exec(sql);
  return match ? match[1].toUpperCase() : 'QUERY';
}

export interface DbSpanTarget {
  /** Where the data lives (the service's schema); `db.namespace`. */
  namespace: string;
}

function failed(span: Span, err: unknown): void {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    span.setAttribute('db.response.status_code', code);
    span.setAttribute('error.type', code);
  } else {
    span.setAttribute('error.type', err instanceof Error ? err.name : 'Error');
  }
  span.recordException(err as Error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
}

/**
 * Statements run only inside a sampled span: pollers (a worker claiming due work every second)
 * would otherwise start a trace of their own for each poll. The pg instrumentation is configured
 * the same way (requireParentSpan). With tracing off there is never an active span, so this costs
 * one context lookup.
 */
function hasParent(): boolean {
  return trace.getActiveSpan()?.isRecording() === true;
}

async function inSpan<T>(name: string, kind: SpanKind, attributes: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { kind, attributes }, async (span) => {
    try {
      return await fn();
    } catch (err) {
      failed(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/**
 * A client span for one statement run on an embedded database that no instrumentation covers
 * (PGlite), with the database semantic conventions (db.system.name, db.namespace,
 * db.operation.name, db.query.text), named `<operation> <namespace>`.
 */
export function inDbSpan<T>(target: DbSpanTarget, sql: string, fn: () => Promise<T>): Promise<T> {
  if (!hasParent()) return fn();
  const operation = sqlOperation(sql);
  return inSpan(
    `${operation} ${target.namespace}`,
    SpanKind.CLIENT,
    {
      'db.system.name': 'postgresql',
      'db.system': 'postgresql',
      'db.namespace': target.namespace,
      'db.operation.name': operation,
      'db.query.text': sql.length > MAX_QUERY_TEXT ? sql.slice(0, MAX_QUERY_TEXT) : sql,
    },
    fn,
  );
}

/** Groups the statements of one transaction under a span, as a PostgreSQL client's BEGIN..COMMIT would. */
export function inTransactionSpan<T>(target: DbSpanTarget, fn: () => Promise<T>): Promise<T> {
  if (!hasParent()) return fn();
  return inSpan(
    `transaction ${target.namespace}`,
    SpanKind.INTERNAL,
    { 'db.system.name': 'postgresql', 'db.namespace': target.namespace },
    fn,
  );
}
