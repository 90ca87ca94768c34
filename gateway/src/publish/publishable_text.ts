import type { events } from '@marketpulse/proto';
import { checkText, ID_HINT, ID_PATTERN, type FieldViolation } from '@marketpulse/runtime';
import type { PublishEventInput } from '../events/publish_contracts';

/**
 * What the publish API can carry safely to every consumer (PostgreSQL text refuses NUL; Kafka keys,
 * webhook headers and logs choke on control characters and lone surrogates). Documented in
 * services/runtime/DEAD_LETTERS.md ("What the publish API refuses"):
 * - `id`: 1–128 characters: letters, digits and . _ : - (starting with a letter or digit);
 * - `subject` (the Kafka key) and `source`: 1–256 / 1–128 characters of Unicode text without
 *   control characters (C0, DEL, C1; NUL included) or lone surrogates;
 * - every text in `data`: the same, up to 8192 characters; `message` and `detail` may hold tabs
 *   and line breaks.
 */
export const PUBLISH_LIMITS = { idMax: 128, subjectMax: 256, sourceMax: 128, dataTextMax: 8192 } as const;

const MULTILINE_FIELDS = new Set(['message', 'detail']);

/** Violations of those rules in one validated event (`event` is its bus envelope, whose subject may be derived). */
export function unsafeTextViolations(
  input: PublishEventInput,
  event: events.Event,
  fieldPrefix = '',
): { field: string; message: string }[] {
  const found: FieldViolation[] = [
    ...checkText(input.id, { field: `${fieldPrefix}id`, max: PUBLISH_LIMITS.idMax, pattern: ID_PATTERN, patternHint: ID_HINT }),
    ...checkText(event.subject, { field: `${fieldPrefix}subject`, max: PUBLISH_LIMITS.subjectMax }),
    ...checkText(event.source, { field: `${fieldPrefix}source`, max: PUBLISH_LIMITS.sourceMax }),
  ];
  for (const [name, value] of Object.entries(input.data as Record<string, unknown>)) {
    if (typeof value !== 'string') continue;
    found.push(
      ...checkText(value, { field: `${fieldPrefix}data.${name}`, max: PUBLISH_LIMITS.dataTextMax, multiline: MULTILINE_FIELDS.has(name) }),
    );
  }
  return found.map((v) => ({ field: v.field, message: v.description }));
}
