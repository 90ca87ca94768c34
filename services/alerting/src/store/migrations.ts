import type { Migration } from '@marketpulse/runtime';

export const migrations: Migration[] = [
  {
    id: '001_rules_alerts_outbox',
    sql: `
      CREATE TABLE rules (
        id text PRIMARY KEY,
        user_id text NOT NULL,
        name text NOT NULL,
        description text NOT NULL DEFAULT '',
        symbol text NOT NULL DEFAULT '',
        severity text NOT NULL,
        enabled boolean NOT NULL,
        system boolean NOT NULL,
        condition jsonb NOT NULL,
        cooldown_seconds integer NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        last_triggered_at timestamptz
      );
      CREATE INDEX rules_by_user ON rules (user_id, created_at);

      CREATE TABLE alerts (
        id text PRIMARY KEY,
        rule_id text NOT NULL,
        rule_name text NOT NULL,
        user_id text NOT NULL,
        alert_type text NOT NULL,
        condition text NOT NULL,
        severity text NOT NULL,
        symbol text NOT NULL,
        provider text NOT NULL,
        message text NOT NULL,
        alert_values jsonb NOT NULL,
        triggered_at timestamptz NOT NULL,
        acknowledged boolean NOT NULL DEFAULT false,
        acknowledged_by text NOT NULL DEFAULT '',
        acknowledged_at timestamptz,
        source_event_id text NOT NULL
      );
      CREATE INDEX alerts_by_user_time ON alerts (user_id, triggered_at DESC);
      CREATE INDEX alerts_by_time ON alerts (triggered_at DESC);

      -- Events written in the same transaction as the alerts they announce, published afterwards,
      -- so an alert is never stored without its alert_triggered event eventually going out.
      CREATE TABLE outbox (
        id text PRIMARY KEY,
        event text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    id: '002_outbox_traceparent',
    sql: `
      -- The trace of the event that raised each alert, so an event published by a retry round
      -- still continues that trace.
      ALTER TABLE outbox ADD COLUMN traceparent text;
    `,
  },
];
