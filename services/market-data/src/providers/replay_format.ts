import type { Tick } from '../tick';

/**
 * Record formats the replay feed reads. Both carry the same fields:
 * symbol, price, bid, ask, volume, time (ISO-8601, or epoch milliseconds; epoch seconds when < 1e11).
 * bid/ask default to price and volume to 0 when absent.
 * CSV needs a header line naming the columns, in any order.
 */
export type ReplayFormat = 'csv' | 'ndjson';

export class ReplayRecordError extends Error {
  readonly code = 'MARKET_REPLAY_BAD_RECORD';
}

export function formatFromPath(path: string): ReplayFormat {
  return /\.csv$/i.test(path) ? 'csv' : 'ndjson';
}

export function parseTime(value: unknown): number {
  if (typeof value === 'number') return value < 1e11 ? value * 1000 : value;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    if (Number.isFinite(n)) return n < 1e11 ? n * 1000 : n;
    const parsed = Date.parse(value);
    if (Number.isFinite(parsed)) return parsed;
  }
  throw new ReplayRecordError(`time "${String(value)}" is neither ISO-8601 nor epoch milliseconds`);
}

function num(value: unknown, field: string, fallback?: number): number {
  if ((value === undefined || value === '' || value === null) && fallback !== undefined) return fallback;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) throw new ReplayRecordError(`${field} "${String(value)}" is not a number`);
  return n;
}

export function tickFromRecord(record: Record<string, unknown>, provider: string): Tick {
  const symbol = record.symbol;
  if (typeof symbol !== 'string' || symbol === '') throw new ReplayRecordError('symbol is missing');
  const price = num(record.price, 'price');
  return {
    symbol,
    price,
    bid: num(record.bid, 'bid', price),
    ask: num(record.ask, 'ask', price),
    volume: num(record.volume, 'volume', 0),
    timeMs: parseTime(record.time ?? record.timestamp),
    provider,
  };
}

/** Parses one line; returns undefined for lines that carry no record (blank, CSV header). */
export class ReplayLineParser {
  private columns: string[] | undefined;

  constructor(
    private readonly format: ReplayFormat,
    private readonly provider: string,
  ) {}

  parse(line: string): Tick | undefined {
    const text = line.trim();
    if (text === '' || text.startsWith('#')) return undefined;
    if (this.format === 'ndjson') {
      let record: unknown;
      try {
        record = JSON.parse(text);
      } catch {
        throw new ReplayRecordError('line is not valid JSON');
      }
      if (typeof record !== 'object' || record === null) throw new ReplayRecordError('line is not a JSON object');
      return tickFromRecord(record as Record<string, unknown>, this.provider);
    }
    const cells = text.split(',').map((c) => c.trim());
    if (!this.columns) {
      this.columns = cells.map((c) => c.toLowerCase());
      if (!this.columns.includes('symbol') || !this.columns.includes('price')) {
        throw new ReplayRecordError('CSV header must name at least the columns symbol and price');
      }
      return undefined;
    }
    const record: Record<string, string> = {};
    this.columns.forEach((name, i) => (record[name] = cells[i]));
    return tickFromRecord(record, this.provider);
  }
}
