import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { events } from '@marketpulse/proto';
import type { Logger } from '../log/logger';
import type { DeadLetterMetrics } from '../metrics/dead_letter_metrics';
import { payloadMismatch, type DeliveredEvent, type SubscribeOptions } from './bus';
import { deadLetterRecord, type DeadLetter, type OutgoingDeadLetter, type SourceRecord } from './dead_letter';
import { nextStep, type HandlerRetryPolicy } from './handler_retry_policy';
import { classifyFailure, summarizeFailure, type FailureSummary } from './record_failure';
import { retryDelayMs, sleep } from './retry_backoff';
import { inConsumerSpan } from './trace_context';

/** What one consumer (Kafka or in-memory) needs to handle a record the one way both buses share. */
export interface RecordConsumer {
  group: string;
  handler: SubscribeOptions['handler'];
  /** Asked before a record whose failure is of unknown kind is dead-lettered; absent means healthy. */
  healthy?: SubscribeOptions['healthy'];
  policy: HandlerRetryPolicy;
  /** Writes to the dead-letter topic durably; a rejection is retried (the broker may be away). */
  writeDeadLetter: (record: OutgoingDeadLetter) => Promise<void>;
  logger: Logger;
  metrics: DeadLetterMetrics;
  /** Called once per handler run. */
  observed: (outcome: 'ok' | 'retry' | 'dead_letter', seconds: number) => void;
  /** Aborted when the subscription closes: a record in hand is then left unhandled (redelivered later). */
  signal: AbortSignal;
  /** Called after each backoff; Kafka heartbeats here (and throws on a rebalance, leaving the record to the next owner). */
  betweenAttempts?: () => Promise<void>;
}

export type RecordOutcome = 'handled' | 'dead-lettered' | 'abandoned';

const UNDECODABLE: FailureSummary = { reason: 'EVENT_UNDECODABLE', message: 'the record value is not a marketpulse.events.v1.Event' };
const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Handles one record: runs the handler until it succeeds, retrying with backoff; a record that
 * fails for a reason of its own (see FailureKind) is written to the dead-letter topic after the
 * policy's attempts, and the consumer moves on. Resolves 'handled' or 'dead-lettered' when the
 * record's offset may be committed, 'abandoned' when the subscription is closing. `decoded`: the
 * record's event when the bus has it already (the in-memory bus), instead of decoding its value.
 */
export async function consumeRecord(record: SourceRecord, c: RecordConsumer, decoded?: events.Event): Promise<RecordOutcome> {
  const headers = textHeaders(record.headers);
  let event: events.Event;
  try {
    event = decoded ?? events.Event.decode(record.value ?? new Uint8Array());
  } catch (err) {
    c.observed('dead_letter', 0);
    return deadLetter(record, c, UNDECODABLE, 0, undefined, err);
  }
  const mismatch = payloadMismatch(event);
  if (mismatch) {
    c.observed('dead_letter', 0);
    return deadLetter(record, c, { reason: 'BUS_INVALID_EVENT', message: mismatch }, 0, event, undefined);
  }
  const delivered: DeliveredEvent = {
    event,
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    traceparent: headers.traceparent,
  };
  for (let attempts = 1; ; attempts++) {
    if (c.signal.aborted) return 'abandoned';
    const started = performance.now();
    try {
      await inConsumerSpan(record.topic, headers, () => c.handler(delivered), {
        'marketpulse.event.type': event.type,
        'marketpulse.event.subject': event.subject,
        'messaging.message.id': event.id,
        'messaging.consumer.group.name': c.group,
        'messaging.destination.partition.id': String(record.partition),
        'messaging.kafka.offset': record.offset,
      });
      c.observed('ok', (performance.now() - started) / 1000);
      return 'handled';
    } catch (err) {
      const seconds = (performance.now() - started) / 1000;
      const kind = classifyFailure(err);
      const step = nextStep(kind, attempts, c.policy);
      if (step.action === 'dead-letter' || (step.action === 'dead-letter-if-healthy' && (await isHealthy(c)))) {
        c.observed('dead_letter', seconds);
        return deadLetter(record, c, summarizeFailure(err), attempts, event, err);
      }
      c.observed('retry', seconds);
      c.logger.warn(
        {
          topic: record.topic,
          partition: record.partition,
          offset: record.offset,
          event_id: event.id,
          attempt: attempts,
          failure: kind,
          err: errorText(err),
        },
        kind === 'outage'
          ? 'event handler failed: a dependency is unavailable; the event waits for it'
          : 'event handler failed; the event will be delivered again',
      );
      await sleep(step.delayMs, c.signal);
      if (c.signal.aborted) return 'abandoned';
      await c.betweenAttempts?.();
    }
  }
}

async function isHealthy(c: RecordConsumer): Promise<boolean> {
  if (!c.healthy) return true;
  try {
    return await c.healthy();
  } catch {
    return false;
  }
}

/** Writes the dead letter, retrying while the broker is away; then the metric and one log line. */
async function deadLetter(
  record: SourceRecord,
  c: RecordConsumer,
  failure: FailureSummary,
  attempts: number,
  event: events.Event | undefined,
  err: unknown,
): Promise<RecordOutcome> {
  const letter: DeadLetter = { source: record, group: c.group, failure, attempts, at: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    if (c.signal.aborted) return 'abandoned';
    try {
      await c.writeDeadLetter(deadLetterRecord(letter));
      break;
    } catch (writeErr) {
      c.logger.warn(
        { topic: record.topic, partition: record.partition, offset: record.offset, err: errorText(writeErr) },
        'could not write a dead letter; retrying',
      );
      await sleep(retryDelayMs(attempt, c.policy.backoffBaseMs, c.policy.backoffMaxMs), c.signal);
      if (c.signal.aborted) return 'abandoned';
      await c.betweenAttempts?.();
    }
  }
  c.metrics.deadLettered(record.topic, c.group, failure.reason);
  // Under the root context, so the trace fields are the record's own (its producer's trace), not the consumer's.
  context.with(ROOT_CONTEXT, () =>
    c.logger.error(
      {
        ...traceIdsOf(textHeaders(record.headers).traceparent),
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        group: c.group,
        event_id: event?.id,
        event_type: event?.type,
        attempts,
        reason: failure.reason,
        err: errorText(err),
        ...(err instanceof Error && err.cause !== undefined ? { cause: errorText(err.cause) } : {}),
      },
      `event dead-lettered: ${failure.message}`,
    ),
  );
  return 'dead-lettered';
}

/** trace_id and span_id of a W3C traceparent, as the logger writes them for an active span. */
function traceIdsOf(traceparent: string | undefined): { trace_id?: string; span_id?: string } {
  const m = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(traceparent ?? '');
  return m ? { trace_id: m[1], span_id: m[2] } : {};
}

function textHeaders(headers: Record<string, string | Buffer>): Record<string, string> {
  // The in-memory bus's headers are text already: no copy per record.
  for (const key in headers) {
    if (typeof headers[key] !== 'string') return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.toString()]));
  }
  return headers as Record<string, string>;
}
