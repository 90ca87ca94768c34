import { hasControl, wellFormed } from '../errors/safe_text';
import type { FailureSummary } from './record_failure';

/**
 * Dead letters of every consumer group of a deployment go to one topic, `${prefix}dead_letter`.
 * A dead letter is the failed record itself (key, value and headers byte for byte, so it can be
 * re-published unchanged) plus these headers saying where it came from and why it was set aside.
 */
export const DEAD_LETTER_TOPIC = 'dead_letter';

export const deadLetterTopic = (topicPrefix: string) => `${topicPrefix}${DEAD_LETTER_TOPIC}`;

export const DEAD_LETTER_HEADER = {
  sourceTopic: 'dead-letter-source-topic',
  sourcePartition: 'dead-letter-source-partition',
  sourceOffset: 'dead-letter-source-offset',
  group: 'dead-letter-group',
  reason: 'dead-letter-reason',
  message: 'dead-letter-message',
  attempts: 'dead-letter-attempts',
  time: 'dead-letter-time',
} as const;

const OWN_HEADER_PREFIX = 'dead-letter-';

export type HeaderValue = string | Buffer;

/** A consumed record as the bus saw it. */
export interface SourceRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, HeaderValue>;
}

export interface DeadLetter {
  source: SourceRecord;
  /** The consumer group that gave up on the record (namespaced by the topic prefix). */
  group: string;
  failure: FailureSummary;
  /** Handler runs before it was set aside (0 for a record that could not be decoded). */
  attempts: number;
  /** ISO time it was dead-lettered. */
  at: string;
}

/** Header text: well-formed, no control characters, bounded (a dead letter must not poison its own readers). */
function headerText(text: string, max = 500): string {
  let clean = wellFormed(text);
  if (hasControl(clean)) clean = clean.replace(/\p{Cc}/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

export interface OutgoingDeadLetter {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, HeaderValue>;
}

export function deadLetterRecord(d: DeadLetter): OutgoingDeadLetter {
  return {
    key: d.source.key,
    value: d.source.value,
    headers: {
      ...originalHeaders(d.source.headers),
      [DEAD_LETTER_HEADER.sourceTopic]: d.source.topic,
      [DEAD_LETTER_HEADER.sourcePartition]: String(d.source.partition),
      [DEAD_LETTER_HEADER.sourceOffset]: d.source.offset,
      [DEAD_LETTER_HEADER.group]: d.group,
      [DEAD_LETTER_HEADER.reason]: headerText(d.failure.reason, 64),
      [DEAD_LETTER_HEADER.message]: headerText(d.failure.message),
      [DEAD_LETTER_HEADER.attempts]: String(d.attempts),
      [DEAD_LETTER_HEADER.time]: d.at,
    },
  };
}

/** The record's headers without the dead-letter ones: what a re-publish sends. */
export function originalHeaders(headers: Record<string, HeaderValue>): Record<string, HeaderValue> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !name.startsWith(OWN_HEADER_PREFIX)));
}

/** Reads a dead letter back from a record of the dead-letter topic; undefined when it is not one. */
export function parseDeadLetter(record: {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, HeaderValue>;
}): DeadLetter | undefined {
  const text = (name: string) => {
    const v = record.headers[name];
    return v === undefined ? undefined : v.toString();
  };
  const topic = text(DEAD_LETTER_HEADER.sourceTopic);
  const partition = Number(text(DEAD_LETTER_HEADER.sourcePartition));
  const offset = text(DEAD_LETTER_HEADER.sourceOffset);
  if (!topic || !Number.isInteger(partition) || !offset) return undefined;
  return {
    source: { topic, partition, offset, key: record.key, value: record.value, headers: originalHeaders(record.headers) },
    group: text(DEAD_LETTER_HEADER.group) ?? '',
    failure: { reason: text(DEAD_LETTER_HEADER.reason) ?? '', message: text(DEAD_LETTER_HEADER.message) ?? '' },
    attempts: Number(text(DEAD_LETTER_HEADER.attempts) ?? 0),
    at: text(DEAD_LETTER_HEADER.time) ?? '',
  };
}
