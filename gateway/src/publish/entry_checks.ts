import type { z } from 'zod';
import {
  PAYLOAD_CONTRACTS,
  PublishEvent,
  type EntryCheck,
  type FieldIssue,
  type PublishEventBodyOutput,
  type PublishEventInput,
} from '../events/publish_contracts';

/** zod's issues as fields of the event, `fieldOf` naming a path within it. */
const issuesOf = (error: z.ZodError, fieldOf: (path: string[]) => string): FieldIssue[] =>
  error.issues.map((i) => ({ field: fieldOf(i.path.map(String)), message: i.message }));

/** The gRPC door: nothing checked yet, the whole event (envelope and payload) against PublishEvent. */
export const checkWholeEvent: EntryCheck<unknown> = (item) => {
  const parsed = PublishEvent.safeParse(item);
  return parsed.success
    ? { ok: true, event: parsed.data }
    : { ok: false, issues: issuesOf(parsed.error, (path) => path.join('.') || '(event)') };
};

/**
 * The REST/tRPC door: the route's input (PublishEventBody) checked the envelope and the type, so
 * only the payload is left, against its type's contract; its fields are named as PublishEvent
 * names them (`data.total_equity`, and `data` for a key the contract lacks).
 */
export const checkPayload: EntryCheck<PublishEventBodyOutput> = (body) => {
  const parsed = PAYLOAD_CONTRACTS[body.type].safeParse(body.data);
  // The contract of body.type accepted body.data: together a PublishEvent member (TS cannot relate the two).
  return parsed.success
    ? { ok: true, event: { ...body, data: parsed.data } as PublishEventInput }
    : { ok: false, issues: issuesOf(parsed.error, (path) => ['data', ...path].join('.')) };
};
