import { INT32_MAX } from '@marketpulse/runtime';
import { predictionError } from '../errors';

/** Reads a version as users write it: `AAPL-v3` (the canonical name), `v3` or `3`. */
export function parseVersion(symbol: string, version: string): number {
  const match = /^(?:(.+)-)?v?(\d+)$/.exec(version.trim());
  if (!match || Number(match[2]) < 1) {
    throw predictionError('INVALID_VERSION', `'${version}' is not a model version; expected ${symbol}-v<number>, e.g. ${symbol}-v2`, {
      version,
    });
  }
  if (match[1] !== undefined && match[1] !== symbol) {
    throw predictionError('VERSION_SYMBOL_MISMATCH', `version '${version}' belongs to '${match[1]}', not '${symbol}'`, {
      version,
      symbol,
    });
  }
  const number = Number(match[2]);
  // Versions are int4 in the store: a larger one names no version and must not reach SQL.
  if (number > INT32_MAX)
    throw predictionError('INVALID_VERSION', `'${version}' is not a model version: its number exceeds ${INT32_MAX}`, { version });
  return number;
}
