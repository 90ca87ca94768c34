import type { Database } from '@marketpulse/runtime';
import type { Candle, CandleInterval } from './candles';
import type { QualityIssue, QualityIssueKind, QualitySeverity } from './quality';
import type { QuoteState } from './quotes';

export const MIGRATIONS = [
  {
    id: '001_market_data',
    sql: `
      CREATE TABLE IF NOT EXISTS candles (
        symbol text NOT NULL,
        interval text NOT NULL,
        start_ms bigint NOT NULL,
        end_ms bigint NOT NULL,
        open double precision NOT NULL,
        high double precision NOT NULL,
        low double precision NOT NULL,
        close double precision NOT NULL,
        volume double precision NOT NULL,
        notional double precision NOT NULL,
        trades integer NOT NULL,
        closed boolean NOT NULL,
        PRIMARY KEY (symbol, interval, start_ms)
      );
      CREATE TABLE IF NOT EXISTS quotes (
        symbol text PRIMARY KEY,
        price double precision NOT NULL,
        bid double precision NOT NULL,
        ask double precision NOT NULL,
        open double precision NOT NULL,
        high double precision NOT NULL,
        low double precision NOT NULL,
        previous_close double precision NOT NULL,
        day_volume double precision NOT NULL,
        day_start_ms bigint NOT NULL,
        time_ms bigint NOT NULL,
        provider text NOT NULL,
        sequence bigint NOT NULL
      );
      CREATE TABLE IF NOT EXISTS quality_issues (
        id text PRIMARY KEY,
        kind text NOT NULL,
        symbol text NOT NULL,
        provider text NOT NULL,
        severity text NOT NULL,
        detail text NOT NULL,
        detected_at_ms bigint NOT NULL,
        observed_value double precision NOT NULL,
        expected_value double precision NOT NULL,
        window_start_ms bigint,
        window_end_ms bigint
      );
      CREATE INDEX IF NOT EXISTS quality_issues_detected ON quality_issues (detected_at_ms DESC);
    `,
  },
];

/** Rows per INSERT statement; keeps the parameter count far below PostgreSQL's limit. */
const ROWS_PER_STATEMENT = 500;

function placeholders(rows: number, columns: number): string {
  const out: string[] = [];
  for (let r = 0; r < rows; r++) {
    const cells: string[] = [];
    for (let c = 1; c <= columns; c++) cells.push(`$${r * columns + c}`);
    out.push(`(${cells.join(',')})`);
  }
  return out.join(',');
}

async function insertChunked<T>(
  db: Pick<Database, 'query'>,
  rows: T[],
  columns: number,
  toParams: (row: T) => unknown[],
  sql: (values: string) => string,
) {
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(i, i + ROWS_PER_STATEMENT);
    await db.query(sql(placeholders(chunk.length, columns)), chunk.flatMap(toParams));
  }
}

interface CandleRow {
  symbol: string;
  interval: string;
  start_ms: string;
  end_ms: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  notional: number;
  trades: number;
  closed: boolean;
}

interface QuoteRow {
  symbol: string;
  price: number;
  bid: number;
  ask: number;
  open: number;
  high: number;
  low: number;
  previous_close: number;
  day_volume: number;
  day_start_ms: string;
  time_ms: string;
  provider: string;
  sequence: string;
}

interface IssueRow {
  id: string;
  kind: string;
  symbol: string;
  provider: string;
  severity: string;
  detail: string;
  detected_at_ms: string;
  observed_value: number;
  expected_value: number;
  window_start_ms: string | null;
  window_end_ms: string | null;
}

const candleFromRow = (r: CandleRow): Candle => ({
  symbol: r.symbol,
  interval: r.interval as CandleInterval,
  startMs: Number(r.start_ms),
  endMs: Number(r.end_ms),
  open: r.open,
  high: r.high,
  low: r.low,
  close: r.close,
  volume: r.volume,
  notional: r.notional,
  trades: r.trades,
  closed: r.closed,
});

export interface IssueFilter {
  symbol?: string;
  kind?: string;
  sinceMs: number;
  limit: number;
}

/** The service's tables: candles, latest quotes and data-quality issues. */
export class MarketDataStore {
  constructor(private readonly db: Database) {}

  migrate(): Promise<void> {
    return this.db.migrate(MIGRATIONS);
  }

  /** Writes one round of changes in a single transaction, so a crash never leaves half a round. */
  async save(candles: Candle[], quotes: QuoteState[], issues: QualityIssue[]): Promise<void> {
    if (candles.length + quotes.length + issues.length === 0) return;
    await this.db.transaction(async (tx) => {
      await insertChunked(
        tx,
        candles,
        12,
        (c) => [c.symbol, c.interval, c.startMs, c.endMs, c.open, c.high, c.low, c.close, c.volume, c.notional, c.trades, c.closed],
        (values) => `INSERT INTO candles (symbol, interval, start_ms, end_ms, open, high, low, close, volume, notional, trades, closed)
          VALUES ${values}
          ON CONFLICT (symbol, interval, start_ms) DO UPDATE SET open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low,
            close = EXCLUDED.close, volume = EXCLUDED.volume, notional = EXCLUDED.notional, trades = EXCLUDED.trades,
            closed = candles.closed OR EXCLUDED.closed`,
      );
      await insertChunked(
        tx,
        quotes,
        13,
        (q) => [
          q.symbol,
          q.price,
          q.bid,
          q.ask,
          q.open,
          q.high,
          q.low,
          q.previousClose,
          q.dayVolume,
          q.dayStartMs,
          q.timeMs,
          q.provider,
          q.sequence,
        ],
        (
          values,
        ) => `INSERT INTO quotes (symbol, price, bid, ask, open, high, low, previous_close, day_volume, day_start_ms, time_ms, provider, sequence)
          VALUES ${values}
          ON CONFLICT (symbol) DO UPDATE SET price = EXCLUDED.price, bid = EXCLUDED.bid, ask = EXCLUDED.ask, open = EXCLUDED.open,
            high = EXCLUDED.high, low = EXCLUDED.low, previous_close = EXCLUDED.previous_close, day_volume = EXCLUDED.day_volume,
            day_start_ms = EXCLUDED.day_start_ms, time_ms = EXCLUDED.time_ms, provider = EXCLUDED.provider,
            sequence = GREATEST(quotes.sequence, EXCLUDED.sequence)`,
      );
      await insertChunked(
        tx,
        issues,
        11,
        (i) => [
          i.id,
          i.kind,
          i.symbol,
          i.provider,
          i.severity,
          i.detail,
          i.detectedAtMs,
          i.observedValue,
          i.expectedValue,
          i.windowStartMs ?? null,
          i.windowEndMs ?? null,
        ],
        (
          values,
        ) => `INSERT INTO quality_issues (id, kind, symbol, provider, severity, detail, detected_at_ms, observed_value, expected_value, window_start_ms, window_end_ms)
          VALUES ${values} ON CONFLICT (id) DO NOTHING`,
      );
    });
  }

  async quotes(): Promise<QuoteState[]> {
    const { rows } = await this.db.query<QuoteRow>('SELECT * FROM quotes');
    return rows.map((r) => ({
      symbol: r.symbol,
      price: r.price,
      bid: r.bid,
      ask: r.ask,
      open: r.open,
      high: r.high,
      low: r.low,
      previousClose: r.previous_close,
      dayVolume: r.day_volume,
      dayStartMs: Number(r.day_start_ms),
      timeMs: Number(r.time_ms),
      provider: r.provider,
      sequence: Number(r.sequence),
    }));
  }

  /** The newest candle of every symbol and interval. */
  async latestCandles(): Promise<Candle[]> {
    const { rows } = await this.db.query<CandleRow>(
      'SELECT DISTINCT ON (symbol, interval) * FROM candles ORDER BY symbol, interval, start_ms DESC',
    );
    return rows.map(candleFromRow);
  }

  /** Candles opening in [fromMs, toMs), the most recent `limit` of them, oldest first. */
  async candles(symbol: string, interval: CandleInterval, fromMs: number, toMs: number, limit: number): Promise<Candle[]> {
    const { rows } = await this.db.query<CandleRow>(
      `SELECT * FROM candles WHERE symbol = $1 AND interval = $2 AND start_ms >= $3 AND start_ms < $4
       ORDER BY start_ms DESC LIMIT $5`,
      [symbol, interval, fromMs, toMs, limit],
    );
    return rows.map(candleFromRow).reverse();
  }

  async hasSymbol(symbol: string): Promise<boolean> {
    const { rows } = await this.db.query<{ n: number }>('SELECT 1 AS n FROM candles WHERE symbol = $1 LIMIT 1', [symbol]);
    return rows.length > 0;
  }

  /** Newest first. */
  async issues(filter: IssueFilter): Promise<QualityIssue[]> {
    const params: unknown[] = [filter.sinceMs, filter.limit];
    let where = 'detected_at_ms >= $1';
    if (filter.symbol) where += ` AND symbol = $${params.push(filter.symbol)}`;
    if (filter.kind) where += ` AND kind = $${params.push(filter.kind)}`;
    const { rows } = await this.db.query<IssueRow>(
      `SELECT * FROM quality_issues WHERE ${where} ORDER BY detected_at_ms DESC LIMIT $2`,
      params,
    );
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind as QualityIssueKind,
      symbol: r.symbol,
      provider: r.provider,
      severity: r.severity as QualitySeverity,
      detail: r.detail,
      detectedAtMs: Number(r.detected_at_ms),
      observedValue: r.observed_value,
      expectedValue: r.expected_value,
      windowStartMs: r.window_start_ms === null ? undefined : Number(r.window_start_ms),
      windowEndMs: r.window_end_ms === null ? undefined : Number(r.window_end_ms),
    }));
  }

  /** Deletes 1 s candles opened before cutoffMs and issues older than issueCutoffMs. */
  async prune(cutoffMs: number, issueCutoffMs: number): Promise<void> {
    await this.db.query(`DELETE FROM candles WHERE interval = '1s' AND start_ms < $1`, [cutoffMs]);
    await this.db.query('DELETE FROM quality_issues WHERE detected_at_ms < $1', [issueCutoffMs]);
  }
}
