import { PredictionError } from '../errors';

/** Reads a version as users write it: `AAPL-v3` (the canonical name), `v3` or `3`. */
export function parseVersion(symbol: string, version: string): number {
  const match = /^(?:(.+)-)?v?(\d+)$/.exec(version.trim());
  if (!match || Number(match[2]) < 1) {
    throw new PredictionError('INVALID_VERSION', 'INVALID_ARGUMENT', `'${version}' is not a model version; expected ${symbol}-v<number>, e.g. ${symbol}-v2`, {
      version,
    });
  }
  if (match[1] !== undefined && match[1] !== symbol) {
    throw new PredictionError('VERSION_SYMBOL_MISMATCH', 'INVALID_ARGUMENT', `version '${version}' belongs to '${match[1]}', not '${symbol}'`, {
      version,
      symbol,
    });
  }
  return Number(match[2]);
}
