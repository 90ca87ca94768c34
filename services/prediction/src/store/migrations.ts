/** Schema of the prediction service (its own schema, chosen by the runtime's openDatabase). */
export const predictionMigrations: { id: string; sql: string }[] = [
  {
    id: 'prediction-001-initial',
    sql: `
      CREATE TABLE ticks (
        symbol    text NOT NULL,
        event_id  text NOT NULL,
        time_ms   bigint NOT NULL,
        price     double precision NOT NULL,
        volume    double precision NOT NULL DEFAULT 0,
        PRIMARY KEY (symbol, event_id)
      );
      CREATE INDEX ticks_by_symbol_time ON ticks (symbol, time_ms);

      CREATE TABLE model_versions (
        symbol            text NOT NULL,
        number            integer NOT NULL,
        algorithm         text NOT NULL,
        status            text NOT NULL,
        parameters        jsonb NOT NULL,
        metrics           jsonb,
        description       text NOT NULL DEFAULT '',
        training_start_ms bigint,
        training_end_ms   bigint,
        created_at_ms     bigint NOT NULL,
        trained_at_ms     bigint,
        error             text NOT NULL DEFAULT '',
        PRIMARY KEY (symbol, number)
      );

      -- The deployment stack of a symbol: the live version is the newest row not rolled back.
      CREATE TABLE deployments (
        id                 bigserial PRIMARY KEY,
        symbol             text NOT NULL,
        number             integer NOT NULL,
        previous_number    integer,
        rollback           boolean NOT NULL,
        deployed_by        text NOT NULL,
        deployed_at_ms     bigint NOT NULL,
        activated_at_ms    bigint NOT NULL,
        rolled_back_at_ms  bigint,
        FOREIGN KEY (symbol, number) REFERENCES model_versions (symbol, number)
      );
      CREATE INDEX deployments_by_symbol ON deployments (symbol, id);

      CREATE TABLE backtests (
        id               text PRIMARY KEY,
        symbol           text NOT NULL,
        number           integer NOT NULL,
        horizon_s        integer NOT NULL,
        start_ms         bigint NOT NULL,
        end_ms           bigint NOT NULL,
        status           text NOT NULL,
        metrics          jsonb,
        created_at_ms    bigint NOT NULL,
        completed_at_ms  bigint,
        error            text NOT NULL DEFAULT ''
      );
    `,
  },
  {
    id: 'prediction-002-outbox',
    sql: `
      -- Events written in the same transaction as the model version, deployment or backtest they
      -- announce, and deleted once published: a change is never committed without its event
      -- eventually going out. seq is the publishing order.
      CREATE TABLE outbox (
        seq          bigserial PRIMARY KEY,
        event_id     text NOT NULL UNIQUE,
        -- base64 of events.Event.encode(...)
        event        text NOT NULL,
        -- W3C traceparent of the request that made the change, so a retried publish continues its trace.
        traceparent  text,
        created_at_ms bigint NOT NULL
      );
    `,
  },
  {
    id: 'prediction-003-backtest-claims',
    sql: `
      -- Which instance computes a running backtest, and when it last said it still does (database
      -- clock, so instances' clocks need not agree). A running backtest whose claim is older than
      -- the lease was left behind by an instance that stopped or crashed, and is marked failed.
      -- Backtests running before this migration were started by an earlier version: their claim
      -- dates from their creation, so they count as left behind once the lease has passed.
      ALTER TABLE backtests ADD COLUMN runner text NOT NULL DEFAULT '';
      ALTER TABLE backtests ADD COLUMN claimed_at_ms bigint;
      UPDATE backtests SET claimed_at_ms = created_at_ms;
      ALTER TABLE backtests ALTER COLUMN claimed_at_ms SET NOT NULL;
      CREATE INDEX backtests_running ON backtests (claimed_at_ms) WHERE status = 'running';
    `,
  },
  {
    id: 'prediction-004-backtests-by-symbol',
    sql: `
      -- Finished backtests beyond PREDICTION_MAX_BACKTESTS_PER_SYMBOL are deleted, newest kept.
      CREATE INDEX backtests_by_symbol ON backtests (symbol, created_at_ms DESC, id DESC);
    `,
  },
];
