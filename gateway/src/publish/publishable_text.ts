import type { events } from '@marketpulse/proto';
import { ID_HINT, ID_PATTERN, textViolation, type TextCheck } from '@marketpulse/runtime';
import type { PublishEventInput } from '../events/publish_contracts';

/**
 * What the publish API can carry safely to every consumer (PostgreSQL text refuses NUL; Kafka keys,
 * webhook headers and logs choke on control characters and lone surrogates). Documented in
 * services/runtime/DEAD_LETTERS.md ("What the publish API refuses"):
 * - `id`: 1–128 characters: letters, digits and . _ : - (starting with a letter or digit);
 * - `subject` (the Kafka key) and `source`: 1–256 / 1–128 characters of Unicode text without
 *   control characters (C0, DEL, C1; NUL included) or lone surrogates; `owner` the same, 1–128
 *   (checked with who may own it, owner_rule.ts);
 * - every text in `data`: the same, up to 8192 characters; `message` and `detail` may hold tabs
 *   and line breaks; `service` and `code` (a system error's names) up to 128: alerting keeps state
 *   per `service|code`, so they are names, not text.
 */
export const PUBLISH_LIMITS = { idMax: 128, subjectMax: 256, sourceMax: 128, ownerMax: 128, dataTextMax: 8192, dataNameMax: 128 } as const;

const MULTILINE_FIELDS = new Set(['message', 'detail']);
const NAME_FIELDS = new Set(['service', 'code']);
const ID: TextCheck = { max: PUBLISH_LIMITS.idMax, pattern: ID_PATTERN, patternHint: ID_HINT };
const SUBJECT: TextCheck = { max: PUBLISH_LIMITS.subjectMax };
const SOURCE: TextCheck = { max: PUBLISH_LIMITS.sourceMax };
const DATA_TEXT: TextCheck = { max: PUBLISH_LIMITS.dataTextMax };
const DATA_MULTILINE: TextCheck = { ...DATA_TEXT, multiline: true };
const DATA_NAME: TextCheck = { max: PUBLISH_LIMITS.dataNameMax };

type Violation = { field: string; message: string };

/** Adds the violation of `value`, if any; field names are built only for a violation (issue 19: this runs per published event). */
function check(found: Violation[], value: string | undefined, rule: TextCheck, group: string, name: string): void {
  const message = textViolation(value, rule);
  if (message !== undefined) found.push({ field: group + name, message });
}

/**
 * Violations of those rules in one validated event (`event` is its bus envelope, whose subject may
 * be derived), fields named within the event (`data.code`).
 */
export function unsafeTextViolations(input: PublishEventInput, event: events.Event): Violation[] {
  const found: Violation[] = [];
  check(found, input.id, ID, '', 'id');
  check(found, event.subject, SUBJECT, '', 'subject');
  check(found, event.source, SOURCE, '', 'source');
  const data = input.data as Record<string, unknown>;
  for (const name of Object.keys(data)) {
    const value = data[name];
    if (typeof value !== 'string') continue;
    check(found, value, MULTILINE_FIELDS.has(name) ? DATA_MULTILINE : NAME_FIELDS.has(name) ? DATA_NAME : DATA_TEXT, 'data.', name);
  }
  return found;
}
