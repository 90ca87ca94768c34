import { COMMON_DOMAIN, invalidArgument, type FieldViolation } from './app_error';
import { hasControl, hasControlBesidesLineBreaks, hasLoneSurrogate, quote } from './safe_text';

/*
 * Checks for values arriving at a boundary. Each returns the violations it found (an empty list
 * when the value is fine) so a handler can collect every problem of a request and refuse it once
 * with assertValid: the caller sees all its invalid fields in one answer.
 */

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
export const UINT32_MAX = 4294967295;
/** Instants outside these are refused unless a check narrows them: years 1970–9999 survive every store and ISO format. */
export const TIMESTAMP_MIN = Date.UTC(1970, 0, 1);
export const TIMESTAMP_MAX = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** Ids: letters, digits and . _ : - (no spaces, slashes or control characters), starting with a letter or digit. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
export const ID_HINT = 'letters, digits and . _ : - starting with a letter or digit';

/** Market symbols as every door spells them: AAPL, BTC-USD, BRK.B, EUR/USD. */
export const SYMBOL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._\-/]*$/;
export const SYMBOL_HINT = 'letters, digits and . _ - / (e.g. AAPL, BTC-USD)';
export const SYMBOL_MAX = 32;

/**
 * The largest price a consumer takes: above any traded instrument's, and its square (models square
 * their errors) far from a double's overflow. A finite 1e200 turned prediction's model of its
 * symbol into NaN for good.
 */
export const PRICE_MAX = 1e12;

/**
 * How far ahead of a consumer's clock an event's own time may be: clock skew, not a forecast. A tick
 * dated 2100 froze prediction's model of its symbol (every later tick was older) and held
 * alerting's cooldowns until then.
 */
export const EVENT_TIME_MAX_AHEAD_MS = 5 * 60_000;

/** What is wrong with the instant an event says something happened at, or undefined when nothing is. */
export function eventTimeProblem(ms: number, now: number): string | undefined {
  if (!Number.isFinite(ms)) return 'is not an ISO-8601 instant';
  if (ms < TIMESTAMP_MIN) return 'is before 1970';
  if (ms > now + EVENT_TIME_MAX_AHEAD_MS) return `is more than ${EVENT_TIME_MAX_AHEAD_MS / 60_000} minutes ahead of this service's clock`;
  return undefined;
}

export interface TextRule {
  field: string;
  /** Most characters (code points). */
  max: number;
  /** Fewest characters when present (default 1 when required, else 0). */
  min?: number;
  /** Refuse an absent or empty value. */
  required?: boolean;
  pattern?: RegExp;
  /** What `pattern` allows, in words, for the message. */
  patternHint?: string;
  /** Allow \t \n \r (free text such as descriptions); other control characters are always refused. */
  multiline?: boolean;
}

const one = (field: string, description: string): FieldViolation[] => [{ field, description }];

/** A TextRule without the field it names. */
export type TextCheck = Omit<TextRule, 'field'>;

/**
 * How a text breaks `rule`, in words, or undefined when it keeps it: checkText's verdict without
 * allocating for a valid value (the publish API checks a few texts per event: issue 19).
 */
export function textViolation(value: string | null | undefined, rule: TextCheck): string | undefined {
  if (value === undefined || value === null || value === '') return rule.required ? 'is required' : undefined;
  if (typeof value !== 'string') return 'must be a string';
  const min = rule.min ?? (rule.required ? 1 : 0);
  // A text has between half its UTF-16 length and that length in code points: they are counted
  // only when those bounds do not settle both limits.
  if (value.length > rule.max || Math.ceil(value.length / 2) < min) {
    const length = [...value].length;
    if (length > rule.max) return `must be at most ${rule.max} characters (got ${length})`;
    if (length < min) return `must be at least ${min} characters (got ${length})`;
  }
  if (rule.multiline ? hasControlBesidesLineBreaks(value) : hasControl(value)) return 'must not contain control characters (NUL included)';
  if (hasLoneSurrogate(value)) return 'must be valid Unicode text (no lone surrogates)';
  if (rule.pattern && !rule.pattern.test(value))
    return `must use ${rule.patternHint ?? `the pattern ${rule.pattern}`} (got ${quote(value)})`;
  return undefined;
}

/** A text field: presence, length in code points, no control characters (NUL included), no lone surrogates, an optional pattern. */
export function checkText(value: string | null | undefined, rule: TextRule): FieldViolation[] {
  const description = textViolation(value, rule);
  return description === undefined ? [] : one(rule.field, description);
}

/** A market symbol (case is the caller's to normalise). */
export const checkSymbol = (value: string | null | undefined, rule: { field: string; required?: boolean }): FieldViolation[] =>
  checkText(value, { ...rule, max: SYMBOL_MAX, pattern: SYMBOL_PATTERN, patternHint: SYMBOL_HINT });

/** An id: ID_PATTERN, at most `max` (default 128) characters. */
export const checkId = (value: string | null | undefined, rule: { field: string; required?: boolean; max?: number }): FieldViolation[] =>
  checkText(value, { field: rule.field, required: rule.required, max: rule.max ?? 128, pattern: ID_PATTERN, patternHint: ID_HINT });

export interface NumberRule {
  field: string;
  min?: number;
  max?: number;
  /** Refuse an absent value (0 counts as present: proto3 cannot tell them apart). */
  required?: boolean;
}

function range(value: number, rule: NumberRule, lo: number, hi: number, kind: string): FieldViolation[] {
  const min = Math.max(rule.min ?? lo, lo);
  const max = Math.min(rule.max ?? hi, hi);
  if (value < min || value > max) return one(rule.field, `must be ${kind} from ${min} to ${max} (got ${value})`);
  return [];
}

/** A finite number, optionally bounded. */
export function checkNumber(value: number | null | undefined, rule: NumberRule): FieldViolation[] {
  if (value === undefined || value === null) return rule.required ? one(rule.field, 'is required') : [];
  if (typeof value !== 'number' || !Number.isFinite(value)) return one(rule.field, `must be a finite number (got ${String(value)})`);
  return range(value, rule, -Number.MAX_VALUE, Number.MAX_VALUE, 'a number');
}

/** An integer that fits a proto int32 (and the rule's own bounds). */
export function checkInt32(value: number | null | undefined, rule: NumberRule): FieldViolation[] {
  if (value === undefined || value === null) return rule.required ? one(rule.field, 'is required') : [];
  if (typeof value !== 'number' || !Number.isInteger(value)) return one(rule.field, `must be an integer (got ${String(value)})`);
  return range(value, rule, INT32_MIN, INT32_MAX, 'an integer');
}

/** An integer that fits a proto uint32 (and the rule's own bounds). */
export function checkUint32(value: number | null | undefined, rule: NumberRule): FieldViolation[] {
  if (value === undefined || value === null) return rule.required ? one(rule.field, 'is required') : [];
  if (typeof value !== 'number' || !Number.isInteger(value)) return one(rule.field, `must be an integer (got ${String(value)})`);
  return range(value, rule, 0, UINT32_MAX, 'an integer');
}

/**
 * A proto int64/uint64 (a decimal string with forceLong=string, or a number): an integer within the
 * rule's bounds, which default to the safe-integer range the services compute with.
 */
export function checkInt64(value: string | number | bigint | null | undefined, rule: NumberRule): FieldViolation[] {
  if (value === undefined || value === null || value === '') return rule.required ? one(rule.field, 'is required') : [];
  const text = String(value);
  if (!/^-?\d{1,20}$/.test(text)) return one(rule.field, `must be an integer (got ${quote(text)})`);
  const n = Number(text);
  return range(n, rule, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 'an integer');
}

export interface TimestampRule {
  field: string;
  required?: boolean;
  /** Earliest allowed instant (ms since epoch or Date); default TIMESTAMP_MIN. */
  min?: number | Date;
  /** Latest allowed instant; default TIMESTAMP_MAX. */
  max?: number | Date;
}

const ms = (d: number | Date) => (typeof d === 'number' ? d : d.getTime());

/** An instant (ISO-8601 text as ts-proto decodes a Timestamp, a Date, or ms) that parses and lies in bounds. */
export function checkTimestamp(value: string | Date | number | null | undefined, rule: TimestampRule): FieldViolation[] {
  if (value === undefined || value === null || value === '') return rule.required ? one(rule.field, 'is required') : [];
  const t = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : value.getTime();
  if (!Number.isFinite(t)) return one(rule.field, `must be an ISO-8601 instant (got ${quote(String(value))})`);
  const min = ms(rule.min ?? TIMESTAMP_MIN);
  const max = ms(rule.max ?? TIMESTAMP_MAX);
  if (t < min || t > max) return one(rule.field, `must be between ${new Date(min).toISOString()} and ${new Date(max).toISOString()}`);
  return [];
}

export interface OneOfRule {
  field: string;
  required?: boolean;
}

/** One of a fixed list; the description lists every allowed value. */
export function checkOneOf(value: string | null | undefined, allowed: readonly string[], rule: OneOfRule): FieldViolation[] {
  if (value === undefined || value === null || value === '')
    return rule.required ? one(rule.field, `is required; one of: ${allowed.join(', ')}`) : [];
  if (!allowed.includes(value)) return one(rule.field, `must be one of: ${allowed.join(', ')} (got ${quote(value)})`);
  return [];
}

/** A repeated field: how many items. */
export function checkCount(
  items: readonly unknown[] | null | undefined,
  rule: { field: string; min?: number; max: number },
): FieldViolation[] {
  const n = items?.length ?? 0;
  if (n > rule.max) return one(rule.field, `must have at most ${rule.max} items (got ${n})`);
  if (n < (rule.min ?? 0)) return one(rule.field, `must have at least ${rule.min} item${rule.min === 1 ? '' : 's'}`);
  return [];
}

export interface AssertValidOptions {
  /** Default INVALID_ARGUMENT (domain marketpulse). */
  reason?: string;
  domain?: string;
}

/** Throws INVALID_ARGUMENT listing every violation, if there is any. */
export function assertValid(violations: readonly FieldViolation[] | readonly FieldViolation[][], options: AssertValidOptions = {}): void {
  const flat = (violations as readonly (FieldViolation | FieldViolation[])[]).flat();
  if (flat.length === 0) return;
  const [first] = flat;
  const more = flat.length > 1 ? ` (and ${flat.length - 1} more)` : '';
  throw invalidArgument(options.reason ?? 'INVALID_ARGUMENT', `invalid field '${first!.field}': ${first!.description}${more}`, flat, {
    domain: options.domain ?? COMMON_DOMAIN,
  });
}
