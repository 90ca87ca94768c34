/** `.000` to `.999`: a timestamp's milliseconds as toISOString writes them. */
const MILLIS = Array.from({ length: 1000 }, (_, ms) => `.${String(ms).padStart(3, '0')}`);

/** The second last formatted, and its text up to the milliseconds ("2026-12-06T21:18:39"). */
let cachedSecond = Number.NaN;
let cachedPrefix = '';

/**
 * A protobuf Timestamp as the generated code (ts-proto's `useDate=string`) turns it into text:
 * `new Date(seconds * 1000 + nanos / 1e6).toISOString()`, float arithmetic and truncation
 * included, so nanos out of 0..999,999,999 land where that code puts them. Undefined where that
 * code throws (no valid Date). A Date is made only when the second changes: the events of a
 * read-back come in time order, a few hundred or thousand to a second, each carrying two timestamps.
 */
export function isoOfTimestamp(seconds: number, nanos: number): string | undefined {
  let millis = seconds * 1_000;
  millis += nanos / 1_000_000;
  // The Date constructor's TimeClip: outside ±8.64e15 ms (or NaN) the Date is invalid.
  if (!(Math.abs(millis) <= 8.64e15)) return undefined;
  const ms = Math.trunc(millis);
  const second = Math.floor(ms / 1_000);
  const fraction = ms - second * 1_000;
  if (second !== cachedSecond) {
    // Everything but ".mmmZ": a date's extended year (±YYYYYY) has a longer prefix.
    cachedPrefix = new Date(second * 1_000).toISOString().slice(0, -5);
    cachedSecond = second;
  }
  return cachedPrefix + MILLIS[fraction]! + 'Z';
}
