import type { Database } from '@marketpulse/runtime';

export const LOG_TYPES = ['connection', 'failure', 'collection', 'rate_limit'] as const;
export type LogType = (typeof LOG_TYPES)[number];

/** A log row in the shape of marketpulse.providers.v1.LogEntry (fields that do not apply stay zero). */
export interface LogEntry {
  id: string;
  log_type: LogType;
  timestamp: string;
  provider: string;
  endpoint: string;
  status: string;
  response_time_ms: number;
  http_status_code: number;
  error_type: string;
  error_message: string;
  retry_count: number;
  retry_result: string;
  category: string;
  record_count: number;
  staleness_minutes: number;
  data_timestamp: string | undefined;
  limit_type: string;
  limit_value: number;
  current_usage: number;
  percentage: number;
}

export function logEntry(log_type: LogType, provider: string, fields: Partial<LogEntry>): LogEntry {
  return {
    id: '',
    log_type,
    timestamp: new Date().toISOString(),
    provider,
    endpoint: '',
    status: '',
    response_time_ms: 0,
    http_status_code: 0,
    error_type: '',
    error_message: '',
    retry_count: 0,
    retry_result: '',
    category: '',
    record_count: 0,
    staleness_minutes: 0,
    data_timestamp: undefined,
    limit_type: '',
    limit_value: 0,
    current_usage: 0,
    percentage: 0,
    ...fields,
  };
}

export interface ProviderWindowStats {
  total: number;
  success: number;
  failed: number;
  rate_limited: number;
  not_offline: number;
  avg_ms: number;
  min_ms: number;
  max_ms: number;
  p95_ms: number;
  collections: number;
  last_success_at: string | undefined;
  last_failure_at: string | undefined;
  last_error: string;
}

interface LogRow {
  id: string | number;
  entry: LogEntry | string;
}

const since = (hours: number) => new Date(Date.now() - hours * 3600_000).toISOString();
const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : undefined);

/** Connection, failure, collection and rate-limit logs, with the aggregates the API serves. */
export class LogStore {
  constructor(private readonly db: Database) {}

  /** Stores the entries and returns them with their ids. */
  async append(entries: LogEntry[], providerStatus = ''): Promise<LogEntry[]> {
    const out: LogEntry[] = [];
    for (const e of entries) {
      const { id: _drop, ...rest } = e;
      const { rows } = await this.db.query<{ id: string | number }>(
        `INSERT INTO logs (log_type, ts, provider, status, response_time_ms, error_type, provider_status, entry)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb) RETURNING id`,
        [
          e.log_type,
          e.timestamp,
          e.provider,
          e.status,
          e.log_type === 'connection' ? e.response_time_ms : null,
          e.error_type,
          providerStatus,
          JSON.stringify(rest),
        ],
      );
      out.push({ ...e, id: String(rows[0].id) });
    }
    return out;
  }

  async list(logType: LogType, hours: number, limit: number, provider?: string): Promise<LogEntry[]> {
    const params: unknown[] = [logType, since(hours), limit];
    let extra = '';
    if (provider) {
      params.push(provider);
      extra = 'AND lower(provider) = lower($4)';
    }
    const { rows } = await this.db.query<LogRow>(
      `SELECT id, entry FROM logs WHERE log_type = $1 AND ts >= $2 ${extra} ORDER BY ts DESC, id DESC LIMIT $3`,
      params,
    );
    return rows.map((r) => ({ ...(typeof r.entry === 'string' ? (JSON.parse(r.entry) as LogEntry) : r.entry), id: String(r.id) }));
  }

  async providerStats(provider: string, hours: number): Promise<ProviderWindowStats> {
    const from = since(hours);
    const { rows } = await this.db.query<Record<string, unknown>>(
      `SELECT count(*) AS total,
              count(*) FILTER (WHERE status = 'success') AS success,
              count(*) FILTER (WHERE status <> 'success') AS failed,
              count(*) FILTER (WHERE status = 'rate_limited') AS rate_limited,
              count(*) FILTER (WHERE provider_status <> 'offline') AS not_offline,
              avg(response_time_ms) AS avg_ms, min(response_time_ms) AS min_ms, max(response_time_ms) AS max_ms,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY response_time_ms) AS p95_ms,
              max(ts) FILTER (WHERE status = 'success') AS last_success_at,
              max(ts) FILTER (WHERE status <> 'success') AS last_failure_at
         FROM logs WHERE log_type = 'connection' AND lower(provider) = lower($1) AND ts >= $2`,
      [provider, from],
    );
    const r = rows[0] ?? {};
    const extra = await this.db.query<Record<string, unknown>>(
      `SELECT (SELECT count(*) FROM logs WHERE log_type = 'collection' AND lower(provider) = lower($1) AND ts >= $2) AS collections,
              (SELECT entry->>'error_message' FROM logs WHERE log_type = 'failure' AND lower(provider) = lower($1) AND ts >= $2 ORDER BY ts DESC, id DESC LIMIT 1) AS last_error`,
      [provider, from],
    );
    const n = (v: unknown) => Number(v ?? 0) || 0;
    return {
      total: n(r.total),
      success: n(r.success),
      failed: n(r.failed),
      rate_limited: n(r.rate_limited),
      not_offline: n(r.not_offline),
      avg_ms: n(r.avg_ms),
      min_ms: n(r.min_ms),
      max_ms: n(r.max_ms),
      p95_ms: n(r.p95_ms),
      collections: n(extra.rows[0]?.collections),
      last_success_at: iso(r.last_success_at),
      last_failure_at: iso(r.last_failure_at),
      last_error: String(extra.rows[0]?.last_error ?? ''),
    };
  }

  /** Connection checks and failures per provider since `hours` ago. */
  async requestCounts(hours: number): Promise<{ provider: string; total: number; failed: number }[]> {
    const { rows } = await this.db.query<{ provider: string; total: string | number; failed: string | number }>(
      `SELECT provider, count(*) AS total, count(*) FILTER (WHERE status <> 'success') AS failed
         FROM logs WHERE log_type = 'connection' AND ts >= $1 GROUP BY provider`,
      [since(hours)],
    );
    return rows.map((r) => ({ provider: r.provider, total: Number(r.total), failed: Number(r.failed) }));
  }

  async errorTypeCounts(hours: number): Promise<{ error_type: string; count: number }[]> {
    const { rows } = await this.db.query<{ error_type: string; n: string | number }>(
      `SELECT error_type, count(*) AS n FROM logs WHERE log_type = 'failure' AND ts >= $1 GROUP BY error_type ORDER BY n DESC, error_type`,
      [since(hours)],
    );
    return rows.map((r) => ({ error_type: r.error_type || 'unknown', count: Number(r.n) }));
  }

  async deleteOlderThan(hours: number): Promise<number> {
    const { rows } = await this.db.query<{ n: string | number }>(
      'WITH gone AS (DELETE FROM logs WHERE ts < $1 RETURNING 1) SELECT count(*) AS n FROM gone',
      [since(hours)],
    );
    return Number(rows[0]?.n ?? 0);
  }
}
