import { z } from 'zod';
import {
  EVENT_TYPES,
  hasLoneSurrogate,
  ID_HINT,
  ID_PATTERN,
  INT32_MAX,
  INT32_MIN,
  TIMESTAMP_MAX,
  TIMESTAMP_MIN,
} from '@marketpulse/runtime';

/** An ISO-8601 time, null when the service has none (proto Timestamp unset). */
export const timestamp = z.string().nullable().default(null).meta({ format: 'date-time' });
/** proto int64 arrives as a string (forceLong=string); REST and tRPC answer with a number. */
export const int64 = z.coerce.number().int();

export const EventType = z.enum(EVENT_TYPES).meta({ id: 'EventType' });

/** Query-string hours window (seed 004 `?hours=`); 0 lets the service default apply. */
export const hoursQuery = z.coerce
  .number()
  .int()
  .min(1)
  .max(24 * 90)
  .optional()
  .describe('Window in hours (default 24).');
export const limitQuery = (max: number) => z.coerce.number().int().min(1).max(max).optional();

export const Message = z.object({ message: z.string() }).meta({ id: 'Message' });

// Bounds the contracts (proto types) and the services' own checks state, stated again here so the
// gateway refuses what a service would, with the same field names, and /openapi.json shows them.

/** A proto int32 (optionally narrower): 2^31 or more is a 400 here, never a serialization failure. */
export const int32 = (bounds: { min?: number; max?: number } = {}) =>
  z
    .number()
    .int()
    .min(bounds.min ?? INT32_MIN)
    .max(bounds.max ?? INT32_MAX);

/** The same from a query string or path (`?limit=10`). */
export const int32Query = (bounds: { min?: number; max?: number } = {}) =>
  z.coerce
    .number()
    .int()
    .min(bounds.min ?? INT32_MIN)
    .max(bounds.max ?? INT32_MAX);

/** A finite number (JSON has no NaN or Infinity, but a query string does). */
export const finite = () => z.number().finite();

// C0, DEL and C1 control characters, NUL included; a `pattern` OpenAPI readers see, so spelled as
// ranges every regex dialect reads (not \p{Cc}).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NO_CONTROL = /^[^\u0000-\u001f\u007f-\u009f]*$/;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NO_CONTROL_MULTILINE = /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$/;

/**
 * Text a person wrote (names, descriptions, ids): at most `max` characters, no control characters
 * (free text may have tabs and line breaks), valid Unicode.
 */
export const text = (max: number, options: { min?: number; multiline?: boolean } = {}) =>
  z
    .string()
    .min(options.min ?? 0)
    .max(max)
    .regex(options.multiline ? NO_CONTROL_MULTILINE : NO_CONTROL, { error: 'must not contain control characters (NUL included)' })
    .refine((s) => !hasLoneSurrogate(s), { error: 'must be valid Unicode text (no lone surrogates)' });

/** Ids the services issue (wh_…, rule_…, key_…): letters, digits and . _ : - */
export const id = (what: string) =>
  z
    .string()
    .min(1)
    .max(128)
    .regex(ID_PATTERN, { error: `must use ${ID_HINT}` })
    .describe(what);

/** Symbols as every service names them: AAPL, BTC-USD, BRK.B, EUR/USD. */
export const symbol = z
  .string()
  .min(1)
  .max(32)
  .regex(/^[A-Za-z0-9._/-]+$/, { error: 'must use letters, digits and . _ - / (e.g. AAPL, BTC-USD)' })
  .describe('Symbol, e.g. AAPL.');

/** An ISO-8601 time with offset, between 1970 and 9999 (what every store and the proto Timestamp carry). */
export const isoTime = z.iso
  .datetime({ offset: true })
  // A text that is no datetime at all already failed the format check: one message per problem.
  .refine(
    (s) => {
      const t = Date.parse(s);
      return !Number.isFinite(t) || (t >= TIMESTAMP_MIN && t <= TIMESTAMP_MAX);
    },
    { error: 'must be between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z' },
  );
