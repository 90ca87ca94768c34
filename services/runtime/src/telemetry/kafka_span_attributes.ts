import type { Span } from '@opentelemetry/api';

interface RecordInfo {
  message: { key?: Buffer | string | null; headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined> };
}

function header(info: RecordInfo, name: string): string | undefined {
  const value = info.message.headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

/**
 * Domain attributes on the kafkajs instrumentation's send and process spans, from the record's key
 * (the event's subject, usually the symbol) and the event-type / event-id headers the bus sets.
 */
export function eventRecordAttributes(span: Span, info: RecordInfo): void {
  const type = header(info, 'event-type');
  const id = header(info, 'event-id');
  if (type) span.setAttribute('marketpulse.event.type', type);
  if (id) span.setAttribute('messaging.message.id', id);
  if (info.message.key) span.setAttribute('marketpulse.event.subject', info.message.key.toString());
}
