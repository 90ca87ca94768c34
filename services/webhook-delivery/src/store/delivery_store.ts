import { ownerAllowsSql, takeKeyTurn } from '@marketpulse/runtime';
import { newId } from './ids';
import type { Queryable, TransactionalDb } from './queryable';
import type { Attempt, AttemptTrigger, Delivery, DeliveryStatus, EndpointStats, EndpointTotals, RetiringSecret } from './records';

/** What one caller already sends per endpoint and may send to it at once; `starting` for an endpoint it sends nothing to. */
export interface EndpointCap {
  starting: number;
  busy: ReadonlyMap<string, { readonly inFlight: number; readonly allowance: number }>;
}

/** What one caller already sends per endpoint owner, and the most it sends for one owner at once. */
export interface OwnerCap {
  perOwner: number;
  owners: ReadonlyMap<string, number>;
}

export type InFlightCap = EndpointCap & OwnerCap;

export interface IncomingEvent {
  id: string;
  type: string;
  subject: string;
  /** The event's owner ('' for system events): an owned event goes to its owner's endpoints only. */
  owner: string;
  body: string;
  traceparent?: string;
}

/** A delivery a worker holds under lease, with what it needs from its endpoint to send. */
export interface ClaimedDelivery {
  id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  body: string;
  traceparent: string | null;
  attempts: number;
  round_start_attempts: number;
  next_trigger: AttemptTrigger;
  claim_token: string;
  owner_id: string;
  url: string;
  endpoint_active: boolean;
  headers: Record<string, string>;
  secret: string;
  retiring_secrets: RetiringSecret[];
  rate_limit_per_second: number | null;
}

/** How an attempt leaves its delivery: delivered, failed for good, or due again after a wait. */
export type AttemptOutcome = { status: 'delivered' } | { status: 'failed' } | { status: 'pending'; retryInMs: number };

export interface AttemptRecord {
  worker_id: string;
  attempted_at: Date;
  status_code: number | null;
  duration_ms: number;
  response_excerpt: string;
  error: string | null;
  succeeded: boolean;
}

/** One finished attempt of a claimed delivery, and where it leaves the delivery. */
export interface RecordedAttempt {
  claim: ClaimedDelivery;
  attempt: AttemptRecord;
  outcome: AttemptOutcome;
}

export interface DeliveryQuery {
  /** `pending` includes deliveries being sent right now. */
  status?: DeliveryStatus;
  since?: Date;
  limit: number;
}

const DELIVERY_COLUMNS = `id, endpoint_id, event_id, event_type, subject, body, status, attempts, next_attempt_at,
  last_status_code, last_error, created_at, updated_at, completed_at`;

const ms = (param: string) => `(${param}::double precision * interval '1 millisecond')`;

export class DeliveryStore {
  constructor(private readonly db: TransactionalDb) {}

  /**
   * One delivery for every active endpoint each event matches, for a whole batch of events in one
   * statement. The unique (event_id, endpoint_id) constraint makes a redelivered Kafka record a
   * no-op. Returns how many deliveries are new, per event id.
   */
  async insertForEvents(events: IncomingEvent[], maxBodyBytes: number): Promise<Map<string, number>> {
    const tooLarge = events.map((e) => {
      const bytes = Buffer.byteLength(e.body);
      return bytes > maxBodyBytes ? `the event body is ${bytes} bytes, over WEBHOOK_MAX_PAYLOAD_BYTES (${maxBodyBytes})` : null;
    });
    const { rows } = await this.db.query<{ event_id: string }>(
      `INSERT INTO deliveries (id, endpoint_id, event_id, event_type, subject, body, traceparent, status, next_attempt_at, last_error, completed_at)
       SELECT 'dlv_' || replace(gen_random_uuid()::text, '-', ''), e.id, i.id, i.type, i.subject, i.body, i.traceparent,
              CASE WHEN i.too_large IS NULL THEN 'pending' ELSE 'failed' END,
              CASE WHEN i.too_large IS NULL THEN now() END,
              i.too_large,
              CASE WHEN i.too_large IS NOT NULL THEN now() END
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS i (id, type, subject, body, traceparent, too_large, owner),
            endpoints e
       WHERE e.active
         AND ${ownerAllowsSql('i.owner', 'e.owner_id')}
         AND (cardinality(e.event_types) = 0 OR i.type = ANY (e.event_types))
         AND (cardinality(e.subjects) = 0 OR i.subject = ANY (e.subjects))
       ON CONFLICT ON CONSTRAINT deliveries_one_per_event_endpoint DO NOTHING
       RETURNING event_id`,
      [
        events.map((e) => e.id),
        events.map((e) => e.type),
        events.map((e) => e.subject),
        events.map((e, n) => (tooLarge[n] === null ? e.body : '')),
        events.map((e) => e.traceparent ?? null),
        tooLarge,
        events.map((e) => e.owner),
      ],
    );
    const created = new Map<string, number>();
    for (const { event_id } of rows) created.set(event_id, (created.get(event_id) ?? 0) + 1);
    return created;
  }

  /** A delivery to one endpoint outside the event stream (a test event), already claimed by the caller. */
  async insertClaimed(endpointId: string, event: IncomingEvent, leaseMs: number, claimToken: string): Promise<ClaimedDelivery> {
    const id = newId('dlv');
    await this.db.query(
      `INSERT INTO deliveries (id, endpoint_id, event_id, event_type, subject, body, traceparent, status, next_trigger, next_attempt_at, claim_token)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'sending', 'manual', now() + ${ms('$8')}, $9)`,
      [id, endpointId, event.id, event.type, event.subject, event.body, event.traceparent ?? null, leaseMs, claimToken],
    );
    const claimed = await this.claimedById(id);
    if (!claimed) throw new Error(`delivery ${id} vanished right after it was written`);
    return claimed;
  }

  /**
   * Claims up to `limit` due deliveries for `leaseMs`, no endpoint more than its allowance in flight
   * in the caller (`cap.busy` counts what it already sends and what each may; any other endpoint
   * may have `cap.starting`). SKIP LOCKED lets any number of workers and
   * replicas claim side by side without waiting on each other; a delivery whose worker died stays
   * `sending` until its lease runs out and is then due again.
   *
   * Claimed in due order only, one endpoint that never answers took every worker until its
   * timeouts, and every other user's deliveries waited behind it. So the due rows are read in a
   * window of their first `limit * 4` (endpoints already at their cap skipped) and ranked per
   * endpoint; the lock re-checks that each row is still due, since another replica may have claimed
   * it since the window was read.
   *
   * Held to their allowance, sixteen endpoints that never answer still took all 32 workers, and one
   * user may have fifty: so each owner's deliveries are ranked too, and an owner with `cap.perOwner`
   * in flight is skipped, whichever endpoints they go to.
   */
  async claimDue(limit: number, leaseMs: number, claimToken: string, cap: InFlightCap): Promise<ClaimedDelivery[]> {
    const busy = [...cap.busy];
    const owners = [...cap.owners];
    const { rows } = await this.db.query<ClaimedDelivery>(
      `WITH busy AS (
         SELECT * FROM unnest($4::text[], $5::int[], $6::int[]) AS b (endpoint_id, n, allowance)
       ), owners AS (
         SELECT * FROM unnest($8::text[], $9::int[]) AS o (owner_id, n)
       ), candidates AS (
         SELECT d.id, d.endpoint_id, d.next_attempt_at, e.owner_id FROM deliveries d JOIN endpoints e ON e.id = d.endpoint_id
         WHERE d.status IN ('pending', 'sending') AND d.next_attempt_at <= now()
           AND d.endpoint_id NOT IN (SELECT endpoint_id FROM busy WHERE n >= allowance)
           AND e.owner_id NOT IN (SELECT owner_id FROM owners WHERE n >= $10)
         ORDER BY d.next_attempt_at
         LIMIT $1 * 4
       ), within_endpoint AS (
         SELECT c.id, c.owner_id, c.next_attempt_at FROM (
           SELECT *, row_number() OVER (PARTITION BY endpoint_id ORDER BY next_attempt_at) AS nth FROM candidates
         ) c LEFT JOIN busy b ON b.endpoint_id = c.endpoint_id
         WHERE c.nth + coalesce(b.n, 0) <= coalesce(b.allowance, $7)
       ), allowed AS (
         SELECT c.id FROM (
           SELECT *, row_number() OVER (PARTITION BY owner_id ORDER BY next_attempt_at) AS nth FROM within_endpoint
         ) c LEFT JOIN owners o ON o.owner_id = c.owner_id
         WHERE c.nth + coalesce(o.n, 0) <= $10
         ORDER BY c.next_attempt_at
         LIMIT $1
       ), due AS (
         SELECT id FROM deliveries
         WHERE id IN (SELECT id FROM allowed) AND status IN ('pending', 'sending') AND next_attempt_at <= now()
         FOR UPDATE SKIP LOCKED
       )
       UPDATE deliveries d
       SET status = 'sending', next_attempt_at = now() + ${ms('$2')}, claim_token = $3, updated_at = now()
       FROM due, endpoints e
       WHERE d.id = due.id AND e.id = d.endpoint_id
       RETURNING ${CLAIM_COLUMNS}`,
      [
        limit,
        leaseMs,
        claimToken,
        busy.map(([id]) => id),
        busy.map(([, b]) => b.inFlight),
        busy.map(([, b]) => b.allowance),
        cap.starting,
        owners.map(([owner]) => owner),
        owners.map(([, n]) => n),
        cap.perOwner,
      ],
    );
    return rows;
  }

  private async claimedById(id: string): Promise<ClaimedDelivery | null> {
    const { rows } = await this.db.query<ClaimedDelivery>(
      `SELECT ${CLAIM_COLUMNS} FROM deliveries d JOIN endpoints e ON e.id = d.endpoint_id WHERE d.id = $1`,
      [id],
    );
    return rows[0] ?? null;
  }

  /**
   * Writes a batch of attempts and moves their deliveries on, in one statement, and stops the
   * failure clock of every endpoint that had a success among them (a failure after that success
   * starts it again: see EndpointStore.recordFailure). A delivery row changes only while its
   * worker's claim still holds; a worker that outlived its lease records what it saw but leaves the
   * delivery to whoever claimed it since. Returns the ids of the deliveries that were moved on.
   */
  async recordAttempts(db: Queryable, attempts: RecordedAttempt[]): Promise<Set<string>> {
    const column = <V>(pick: (a: RecordedAttempt) => V) => attempts.map(pick);
    const { rows } = await db.query<{ id: string }>(
      `WITH i AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::timestamptz[], $7::int[], $8::int[],
                              $9::text[], $10::text[], $11::boolean[], $12::text[], $13::text[], $14::double precision[])
           AS i (delivery_id, claim_token, endpoint_id, attempt, trigger, attempted_at, status_code, duration_ms,
                 response_excerpt, error, succeeded, worker_id, status, retry_in_ms)
       ), recorded AS (
         INSERT INTO delivery_attempts (delivery_id, endpoint_id, attempt, trigger, attempted_at, status_code, duration_ms, response_excerpt, error, succeeded, worker_id)
         SELECT delivery_id, endpoint_id, attempt, trigger, attempted_at, status_code, duration_ms, response_excerpt, error, succeeded, worker_id FROM i
       ), moved AS (
         UPDATE deliveries d SET status = i.status, attempts = i.attempt, next_trigger = 'scheduled', claim_token = NULL,
           next_attempt_at = CASE WHEN i.retry_in_ms IS NULL THEN NULL ELSE now() + i.retry_in_ms * interval '1 millisecond' END,
           last_status_code = i.status_code, last_error = i.error, updated_at = now(),
           completed_at = CASE WHEN i.status IN ('delivered', 'failed') THEN now() END
         FROM i WHERE d.id = i.delivery_id AND d.claim_token = i.claim_token
         RETURNING d.id
       ), cleared AS (
         UPDATE endpoints e SET failing_since = NULL
         WHERE e.id IN (SELECT endpoint_id FROM i WHERE succeeded) AND e.failing_since IS NOT NULL
       )
       SELECT id FROM moved`,
      [
        column((a) => a.claim.id),
        column((a) => a.claim.claim_token),
        column((a) => a.claim.endpoint_id),
        column((a) => a.claim.attempts + 1),
        column((a) => a.claim.next_trigger),
        column((a) => a.attempt.attempted_at.toISOString()),
        column((a) => a.attempt.status_code),
        column((a) => a.attempt.duration_ms),
        column((a) => a.attempt.response_excerpt),
        column((a) => a.attempt.error),
        column((a) => a.attempt.succeeded),
        column((a) => a.attempt.worker_id),
        column((a) => a.outcome.status),
        column((a) => (a.outcome.status === 'pending' ? a.outcome.retryInMs : null)),
      ],
    );
    return new Set(rows.map((r) => r.id));
  }

  /** Ends a claimed delivery without an attempt: its endpoint was disabled meanwhile. */
  async cancel(claim: ClaimedDelivery, reason: string): Promise<void> {
    await this.db.query(
      `UPDATE deliveries SET status = 'cancelled', claim_token = NULL, next_attempt_at = NULL, last_error = $3, updated_at = now(), completed_at = now()
       WHERE id = $1 AND claim_token = $2`,
      [claim.id, claim.claim_token, reason],
    );
  }

  /**
   * A rate-limited endpoint had no slot for `claim`: it goes back without counting an attempt, and
   * it and every other delivery of the endpoint due now go behind the endpoint's queue, one
   * `intervalMs` apart from its last scheduled one (or from `delayMs` ahead, when that is later; a
   * claimed one's time is its lease, not a slot). Postponed one at a time to a second later, an
   * endpoint limited to 1 a second with thousands due filled every claim's window for ever, and
   * every other user's deliveries waited behind it (a helper: 77 stuck for 90 s). Returns the
   * time of the last one it queued, or null when it queued none.
   */
  async postponeBehindQueue(claim: ClaimedDelivery, delayMs: number, intervalMs: number): Promise<Date | null> {
    // One at a time per endpoint, and rows another statement holds (a claim, a recording) are left
    // for the next time: several of an endpoint's claims missing their slot at once each locked the
    // endpoint's due rows in their own order, and deadlocked (a helper: 17 in a minute).
    return this.db.transaction(async (tx) => {
      await takeKeyTurn(tx, 'webhooks.rate_queue', claim.endpoint_id);
      const { rows } = await tx.query<{ queued_until: Date | null }>(
        `WITH last AS (
           SELECT max(next_attempt_at) AS at FROM deliveries
           WHERE endpoint_id = $1 AND status = 'pending' AND next_attempt_at > now()
         ), due AS (
           SELECT id, next_attempt_at FROM deliveries
           WHERE endpoint_id = $1 AND ((status = 'pending' AND next_attempt_at <= now()) OR (id = $2 AND claim_token = $3))
           ORDER BY next_attempt_at, id
           FOR UPDATE SKIP LOCKED
         ), ranked AS (
           SELECT id, row_number() OVER (ORDER BY next_attempt_at, id) - 1 AS k FROM due
         ), queued AS (
           UPDATE deliveries d SET status = 'pending', claim_token = NULL, updated_at = now(),
             next_attempt_at = GREATEST(now() + ${ms('$4')}, (SELECT at FROM last) + ${ms('$5')}) + ranked.k * ${ms('$5')}
           FROM ranked WHERE d.id = ranked.id
           RETURNING d.next_attempt_at
         )
         SELECT max(next_attempt_at) AS queued_until FROM queued`,
        [claim.endpoint_id, claim.id, claim.claim_token, delayMs, intervalMs],
      );
      const at = rows[0]?.queued_until ?? null;
      return at === null ? null : new Date(at);
    });
  }

  async get(deliveryId: string): Promise<Delivery | null> {
    const { rows } = await this.db.query<Delivery>(`SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE id = $1`, [deliveryId]);
    return rows[0] ?? null;
  }

  /** The delivery when its endpoint belongs to `ownerId` (any owner when null), with the owner's view of why not. */
  async getOwned(deliveryId: string, ownerId: string | null): Promise<Delivery | null> {
    const { rows } = await this.db.query<Delivery>(
      `SELECT ${qualified('d')} FROM deliveries d JOIN endpoints e ON e.id = d.endpoint_id
       WHERE d.id = $1 AND ($2::text IS NULL OR e.owner_id = $2)`,
      [deliveryId, ownerId],
    );
    return rows[0] ?? null;
  }

  async list(endpointId: string, q: DeliveryQuery): Promise<Delivery[]> {
    const statuses = q.status === undefined ? null : q.status === 'pending' ? ['pending', 'sending'] : [q.status];
    const { rows } = await this.db.query<Delivery>(
      `SELECT ${DELIVERY_COLUMNS} FROM deliveries
       WHERE endpoint_id = $1 AND ($2::text[] IS NULL OR status = ANY ($2::text[])) AND ($3::timestamptz IS NULL OR created_at >= $3)
       ORDER BY created_at DESC, id DESC LIMIT $4`,
      [endpointId, statuses, q.since ?? null, q.limit],
    );
    return rows;
  }

  async attemptsOf(deliveryIds: string[]): Promise<Attempt[]> {
    if (deliveryIds.length === 0) return [];
    const { rows } = await this.db.query<Attempt>(
      `SELECT delivery_id, attempt, trigger, attempted_at, status_code, duration_ms, response_excerpt, error, succeeded
       FROM delivery_attempts WHERE delivery_id = ANY ($1::text[]) ORDER BY delivery_id, attempt, id`,
      [deliveryIds],
    );
    return rows;
  }

  /**
   * Claims one delivery for a manual attempt now, starting a fresh round of the retry schedule.
   * Null when it is not the caller's, is being sent right now, or has no body to send.
   */
  async claimForReplay(deliveryId: string, ownerId: string | null, leaseMs: number, claimToken: string): Promise<ClaimedDelivery | null> {
    const { rows } = await this.db.query<ClaimedDelivery>(
      `UPDATE deliveries d SET status = 'sending', next_trigger = 'manual', round_start_attempts = d.attempts,
         next_attempt_at = now() + ${ms('$3')}, claim_token = $4, completed_at = NULL, updated_at = now()
       FROM endpoints e
       WHERE d.id = $1 AND e.id = d.endpoint_id AND ($2::text IS NULL OR e.owner_id = $2) AND d.status <> 'sending' AND d.body <> ''
       RETURNING ${CLAIM_COLUMNS}`,
      [deliveryId, ownerId, leaseMs, claimToken],
    );
    return rows[0] ?? null;
  }

  /**
   * Queues every failed (or cancelled, while the endpoint was disabled) delivery created in
   * [since, until) for a manual attempt now, each with a fresh round of the schedule: at most `max`
   * of them, oldest first; the caller calls again for the rest.
   */
  async replayFailed(endpointId: string, since: Date, until: Date, max: number): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(
      `WITH chosen AS (
         SELECT id FROM deliveries
         WHERE endpoint_id = $1 AND status IN ('failed', 'cancelled') AND created_at >= $2 AND created_at < $3 AND body <> ''
         ORDER BY created_at, id LIMIT $4
       )
       UPDATE deliveries d SET status = 'pending', next_trigger = 'manual', round_start_attempts = attempts,
         next_attempt_at = now(), completed_at = NULL, updated_at = now()
       FROM chosen WHERE d.id = chosen.id
       RETURNING d.id`,
      [endpointId, since, until, max],
    );
    return rows.map((r) => r.id);
  }

  async totals(endpointIds: string[]): Promise<Map<string, EndpointTotals>> {
    const { rows } = await this.db.query<{
      endpoint_id: string;
      total: string;
      delivered: string;
      failed: string;
      last_delivery_at: Date | null;
    }>(
      `SELECT endpoint_id, count(*) AS total,
         count(*) FILTER (WHERE status = 'delivered') AS delivered,
         count(*) FILTER (WHERE status IN ('failed', 'cancelled')) AS failed,
         max(completed_at) FILTER (WHERE status = 'delivered') AS last_delivery_at
       FROM deliveries WHERE endpoint_id = ANY ($1::text[]) GROUP BY endpoint_id`,
      [endpointIds],
    );
    return new Map(
      rows.map((r) => [
        r.endpoint_id,
        { total: Number(r.total), delivered: Number(r.delivered), failed: Number(r.failed), last_delivery_at: r.last_delivery_at },
      ]),
    );
  }

  /** Deliveries created in the last `windowMs` by outcome (pending: all now waiting), and attempt latency in the window. */
  async stats(endpointId: string, windowMs: number): Promise<EndpointStats> {
    const { rows } = await this.db.query<Record<string, string | number | Date | null>>(
      `SELECT
         (SELECT count(*) FROM deliveries WHERE endpoint_id = $1 AND status = 'delivered' AND created_at > now() - ${ms('$2')}) AS delivered,
         (SELECT count(*) FROM deliveries WHERE endpoint_id = $1 AND status IN ('failed', 'cancelled') AND created_at > now() - ${ms('$2')}) AS failed,
         (SELECT count(*) FROM deliveries WHERE endpoint_id = $1 AND status IN ('pending', 'sending')) AS pending,
         (SELECT max(completed_at) FROM deliveries WHERE endpoint_id = $1 AND status = 'delivered') AS last_delivery_at,
         p.p50, p.p95, p.p99
       FROM (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50,
                    percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95,
                    percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_ms) AS p99
             FROM delivery_attempts WHERE endpoint_id = $1 AND attempted_at > now() - ${ms('$2')}) p`,
      [endpointId, windowMs],
    );
    const r = rows[0];
    const delivered = Number(r.delivered);
    const failed = Number(r.failed);
    const num = (v: unknown) => (v === null || v === undefined ? null : Math.round(Number(v)));
    return {
      delivered,
      failed,
      pending: Number(r.pending),
      success_rate: delivered + failed === 0 ? null : delivered / (delivered + failed),
      latency_p50_ms: num(r.p50),
      latency_p95_ms: num(r.p95),
      latency_p99_ms: num(r.p99),
      last_delivery_at: (r.last_delivery_at as Date | null) ?? null,
    };
  }
}

const qualified = (alias: string) =>
  DELIVERY_COLUMNS.split(',')
    .map((c) => `${alias}.${c.trim()}`)
    .join(', ');

const CLAIM_COLUMNS = `d.id, d.endpoint_id, d.event_id, d.event_type, d.body, d.traceparent, d.attempts, d.round_start_attempts,
  d.next_trigger, d.claim_token, e.owner_id, e.url, e.active AS endpoint_active, e.headers, e.secret, e.retiring_secrets,
  e.rate_limit_per_second`;
