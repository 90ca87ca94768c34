/**
 * The delivery store's schema. Tables are unqualified: the runtime's Database puts this service in
 * its own schema.
 */
export const migrations = [
  {
    id: '001_endpoints_deliveries_attempts',
    sql: `
CREATE TABLE endpoints (
  id text PRIMARY KEY,
  owner_id text NOT NULL,
  url text NOT NULL,
  description text NOT NULL DEFAULT '',
  -- empty means every event type
  event_types text[] NOT NULL DEFAULT '{}',
  -- empty means every subject
  subjects text[] NOT NULL DEFAULT '{}',
  active boolean NOT NULL DEFAULT true,
  disabled_reason text,
  headers jsonb NOT NULL DEFAULT '{}',
  secret text NOT NULL,
  previous_secret text,
  previous_secret_expires_at timestamptz,
  rate_limit_per_second integer,
  -- generic cell rate algorithm state shared by every replica: the theoretical arrival time
  rate_tat timestamptz,
  -- start of the current run of failed attempts; null after any success
  failing_since timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX endpoints_owner_idx ON endpoints (owner_id, created_at);

CREATE TABLE deliveries (
  id text PRIMARY KEY,
  endpoint_id text NOT NULL REFERENCES endpoints (id) ON DELETE CASCADE,
  -- the webhook-id header: the event id, so every retry and replay of one event carries the same id
  event_id text NOT NULL,
  event_type text NOT NULL,
  subject text NOT NULL DEFAULT '',
  -- the exact JSON body, fixed at intake so every attempt signs and sends the same bytes
  body text NOT NULL,
  traceparent text,
  status text NOT NULL CHECK (status IN ('pending', 'sending', 'delivered', 'failed', 'cancelled')),
  attempts integer NOT NULL DEFAULT 0,
  -- attempts made before the current round; a manual replay starts a new round of the schedule
  round_start_attempts integer NOT NULL DEFAULT 0,
  next_trigger text NOT NULL DEFAULT 'scheduled' CHECK (next_trigger IN ('scheduled', 'manual')),
  -- pending: when the next attempt is due; sending: when the lease runs out and another worker may take it
  next_attempt_at timestamptz,
  claim_token text,
  last_status_code integer,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  CONSTRAINT deliveries_one_per_event_endpoint UNIQUE (event_id, endpoint_id)
);
CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at) WHERE status IN ('pending', 'sending');
CREATE INDEX deliveries_endpoint_idx ON deliveries (endpoint_id, created_at DESC);

CREATE TABLE delivery_attempts (
  id bigserial PRIMARY KEY,
  delivery_id text NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
  endpoint_id text NOT NULL,
  attempt integer NOT NULL,
  trigger text NOT NULL CHECK (trigger IN ('scheduled', 'manual')),
  attempted_at timestamptz NOT NULL,
  status_code integer,
  duration_ms integer NOT NULL,
  response_excerpt text NOT NULL DEFAULT '',
  error text,
  succeeded boolean NOT NULL,
  -- which replica made the attempt (host:pid:random), to tell replicas apart when investigating
  worker_id text NOT NULL DEFAULT ''
);
CREATE INDEX delivery_attempts_delivery_idx ON delivery_attempts (delivery_id, attempt);
CREATE INDEX delivery_attempts_endpoint_idx ON delivery_attempts (endpoint_id, attempted_at DESC);
`,
  },
  {
    // A rate-limited endpoint's queue: where its next free slot is, without reading its history.
    id: '002_deliveries_endpoint_due',
    sql: `CREATE INDEX deliveries_endpoint_due_idx ON deliveries (endpoint_id, next_attempt_at) WHERE status IN ('pending', 'sending');`,
  },
  {
    // One previous secret was too few: a second rotation within the overlap (or at the same time)
    // dropped the first one's old secret before the end its answer promised. Every rotated-out
    // secret now keeps its own end, oldest first. previous_secret and previous_secret_expires_at
    // are no longer read, only written for a replica still on the older code during a rolling
    // deploy; a later migration may drop them.
    id: '003_endpoint_retiring_secrets',
    sql: `
ALTER TABLE endpoints ADD COLUMN retiring_secrets jsonb NOT NULL DEFAULT '[]';
UPDATE endpoints
SET retiring_secrets = jsonb_build_array(jsonb_build_object(
  'secret', previous_secret,
  'expires_at', to_char(previous_secret_expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))
WHERE previous_secret IS NOT NULL AND previous_secret_expires_at > now();
`,
  },
];
