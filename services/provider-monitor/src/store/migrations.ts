import type { Migration } from '@marketpulse/runtime';

export const migrations: Migration[] = [
  {
    id: '001_logs_status_metrics',
    sql: `
      -- The four log kinds of seed 004 in one table: the columns queries filter and aggregate on,
      -- plus the whole entry as JSON.
      CREATE TABLE logs (
        id bigserial PRIMARY KEY,
        log_type text NOT NULL,
        ts timestamptz NOT NULL,
        provider text NOT NULL,
        status text NOT NULL DEFAULT '',
        response_time_ms double precision,
        error_type text NOT NULL DEFAULT '',
        provider_status text NOT NULL DEFAULT '',
        entry jsonb NOT NULL
      );
      CREATE INDEX logs_by_type_time ON logs (log_type, ts DESC);
      CREATE INDEX logs_by_provider_time ON logs (provider, ts DESC);

      CREATE TABLE status_changes (
        id bigserial PRIMARY KEY,
        ts timestamptz NOT NULL,
        provider text NOT NULL,
        old_status text NOT NULL,
        new_status text NOT NULL,
        details jsonb NOT NULL
      );
      CREATE INDEX status_changes_by_time ON status_changes (ts DESC);

      CREATE TABLE metrics_snapshots (
        id bigserial PRIMARY KEY,
        ts timestamptz NOT NULL,
        metrics jsonb NOT NULL
      );
      CREATE INDEX metrics_snapshots_by_time ON metrics_snapshots (ts);
    `,
  },
];

export const TABLES = ['logs', 'status_changes', 'metrics_snapshots'];
