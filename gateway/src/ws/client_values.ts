/**
 * Bounds on what a client message may hold, checked before any door walks it: a message is a
 * JSON value the client chose, so its depth, size and types are the client's to pick. Nothing here
 * recurses, so no message, however deep, can overflow the stack.
 */

/** Deepest nesting of objects and arrays in one client message (the native protocol needs 4). */
export const MAX_MESSAGE_DEPTH = 16;

/** Filters of a native (`/ws/stream`) subscription: see checkFilters. */
export const FILTER_LIMITS = {
  /** Dot paths in one filter object. */
  maxPaths: 32,
  /** Characters in one dot path. */
  maxPathLength: 256,
  /** Values in one any-of array. */
  maxValues: 100,
  /** Characters in one string value. */
  maxStringLength: 256,
} as const;

/** Depth of the deepest object or array in `value` (0 for a scalar), counted without recursion; stops counting past `limit`. */
export function depthOf(value: unknown, limit = MAX_MESSAGE_DEPTH): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    const here = depth + 1;
    if (here > deepest) deepest = here;
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, here]);
  }
  return deepest;
}

/**
 * A client's value quoted for an `error` message: never throws (an object whose `toString` is not a
 * function makes String() throw), never long.
 */
export function describeValue(value: unknown, max = 64): string {
  if (typeof value === 'string') return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
  if (value === null || typeof value === 'number' || typeof value === 'boolean' || value === undefined) return String(value);
  return Array.isArray(value) ? '(an array)' : '(an object)';
}

type Scalar = string | number | boolean | null;

const isScalar = (v: unknown): v is Scalar => v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/**
 * Seed 002 filters as this gateway accepts them: an object of at most FILTER_LIMITS.maxPaths dot
 * paths, each mapped to a scalar (exact match) or an array of at most maxValues scalars (any of).
 * Returns what is wrong, for the INVALID_FILTERS error, or undefined when they are fine.
 */
export function checkFilters(filters: unknown): string | undefined {
  if (typeof filters !== 'object' || filters === null || Array.isArray(filters)) return 'filters must be an object of dot paths to values';
  const entries = Object.entries(filters);
  if (entries.length > FILTER_LIMITS.maxPaths) return `at most ${FILTER_LIMITS.maxPaths} filter paths (got ${entries.length})`;
  for (const [path, expected] of entries) {
    if (path.length === 0 || path.length > FILTER_LIMITS.maxPathLength)
      return `a filter path has 1 to ${FILTER_LIMITS.maxPathLength} characters (got ${describeValue(path)})`;
    const values = Array.isArray(expected) ? expected : [expected];
    if (values.length > FILTER_LIMITS.maxValues)
      return `filter ${describeValue(path)}: at most ${FILTER_LIMITS.maxValues} values (got ${values.length})`;
    for (const v of values) {
      if (!isScalar(v))
        return `filter ${describeValue(path)}: values are strings, numbers, booleans or null, or an array of them (got ${describeValue(v)})`;
      if (typeof v === 'string' && v.length > FILTER_LIMITS.maxStringLength)
        return `filter ${describeValue(path)}: a value has at most ${FILTER_LIMITS.maxStringLength} characters`;
    }
  }
  return undefined;
}
