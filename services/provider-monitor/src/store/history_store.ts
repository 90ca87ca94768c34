import type { Database } from '@marketpulse/runtime';
import { TABLES } from './migrations';

export interface StatusChangeRow {
  timestamp: string;
  provider: string;
  old_status: string;
  new_status: string;
  details: Record<string, string>;
}

/** Status-change history and the periodic system-metric snapshots. */
export class HistoryStore {
  constructor(private readonly db: Database) {}

  async addStatusChange(c: StatusChangeRow): Promise<void> {
    await this.db.query('INSERT INTO status_changes (ts, provider, old_status, new_status, details) VALUES ($1, $2, $3, $4, $5::jsonb)', [
      c.timestamp,
      c.provider,
      c.old_status,
      c.new_status,
      JSON.stringify(c.details),
    ]);
  }

  async statusChanges(hours: number): Promise<StatusChangeRow[]> {
    const { rows } = await this.db.query<{
      ts: string | Date;
      provider: string;
      old_status: string;
      new_status: string;
      details: Record<string, string> | string;
    }>('SELECT ts, provider, old_status, new_status, details FROM status_changes WHERE ts >= $1 ORDER BY ts DESC, id DESC', [
      new Date(Date.now() - hours * 3600_000).toISOString(),
    ]);
    return rows.map((r) => ({
      timestamp: new Date(r.ts).toISOString(),
      provider: r.provider,
      old_status: r.old_status,
      new_status: r.new_status,
      details: typeof r.details === 'string' ? (JSON.parse(r.details) as Record<string, string>) : r.details,
    }));
  }

  async addMetrics<T extends { timestamp?: string }>(m: T): Promise<void> {
    await this.db.query('INSERT INTO metrics_snapshots (ts, metrics) VALUES ($1, $2::jsonb)', [
      m.timestamp ?? new Date().toISOString(),
      JSON.stringify(m),
    ]);
  }

  /** Oldest first. */
  async metrics<T>(hours: number, limit = 10_000): Promise<T[]> {
    const { rows } = await this.db.query<{ metrics: T | string }>(
      'SELECT metrics FROM (SELECT id, ts, metrics FROM metrics_snapshots WHERE ts >= $1 ORDER BY ts DESC, id DESC LIMIT $2) recent ORDER BY ts, id',
      [new Date(Date.now() - hours * 3600_000).toISOString(), limit],
    );
    return rows.map((r) => (typeof r.metrics === 'string' ? (JSON.parse(r.metrics) as T) : r.metrics));
  }

  async deleteOlderThan(hours: number): Promise<number> {
    const cutoff = new Date(Date.now() - hours * 3600_000).toISOString();
    let n = 0;
    for (const table of ['status_changes', 'metrics_snapshots']) {
      const { rows } = await this.db.query<{ n: string | number }>(
        `WITH gone AS (DELETE FROM ${table} WHERE ts < $1 RETURNING 1) SELECT count(*) AS n FROM gone`,
        [cutoff],
      );
      n += Number(rows[0]?.n ?? 0);
    }
    return n;
  }

  /** Row counts and sizes of this service's tables, and the time span of its records. */
  async tableStats(): Promise<{
    tables: { name: string; row_count: number; size_bytes: number }[];
    oldest: string | undefined;
    newest: string | undefined;
  }> {
    const tables = [];
    for (const name of TABLES) {
      const { rows } = await this.db.query<{ n: string | number; size: string | number }>(
        `SELECT (SELECT count(*) FROM ${name}) AS n, pg_total_relation_size(to_regclass($1)) AS size`,
        [`${this.db.schema}.${name}`],
      );
      tables.push({ name, row_count: Number(rows[0]?.n ?? 0), size_bytes: Number(rows[0]?.size ?? 0) });
    }
    const { rows } = await this.db.query<{ oldest: string | Date | null; newest: string | Date | null }>(
      `SELECT min(ts) AS oldest, max(ts) AS newest FROM (
         SELECT ts FROM logs UNION ALL SELECT ts FROM status_changes UNION ALL SELECT ts FROM metrics_snapshots) t`,
    );
    const iso = (v: string | Date | null | undefined) => (v ? new Date(v).toISOString() : undefined);
    return { tables, oldest: iso(rows[0]?.oldest), newest: iso(rows[0]?.newest) };
  }
}
