import { randomUUID } from 'node:crypto';
import type { events } from '@marketpulse/proto';

type Payload = NonNullable<events.Event['payload']>;

/** The envelope around one of this service's payloads; the subject (Kafka key) is the symbol. */
export function envelope(source: string, subject: string, payload: Payload, id: string = randomUUID()): events.Event {
  return { id, type: payload.$case, source, subject, time: new Date().toISOString(), owner: '', payload };
}
