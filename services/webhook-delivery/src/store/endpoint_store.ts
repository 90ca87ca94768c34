import { takeKeyTurn } from '@marketpulse/runtime';
import { planRotation } from '../signing/retiring_secrets';
import { newId } from './ids';
import type { Queryable, TransactionalDb } from './queryable';
import type { Endpoint } from './records';

export interface NewEndpoint {
  owner_id: string;
  url: string;
  description: string;
  event_types: string[];
  subjects: string[];
  active: boolean;
  headers: Record<string, string>;
  secret: string;
  rate_limit_per_second: number | null;
}

/** `retiredUntil`: when the secret this rotation took out stops signing (null: none was). */
export type Rotated = { kind: 'rotated'; endpoint: Endpoint; retiredUntil: Date | null } | { kind: 'full'; oldestEndsAt: Date };

/** PATCH semantics: a field left undefined keeps its value. */
export type EndpointPatch = Partial<Omit<NewEndpoint, 'owner_id' | 'secret'>>;

/** `$2` is the owner, or null for an operator. */
const OWNED_BY_2 = '($2::text IS NULL OR owner_id = $2)';

const COLUMNS = `id, owner_id, url, description, event_types, subjects, active, disabled_reason, headers, secret,
  retiring_secrets, rate_limit_per_second, failing_since, created_at, updated_at`;

/**
 * Every read and write a user asks for is scoped by owner: another user's endpoint does not exist
 * for them. `ownerId` null is an operator's call (the proto's empty user_id) and sees every endpoint.
 */
export class EndpointStore {
  constructor(private readonly db: TransactionalDb) {}

  /**
   * Creates the endpoint unless its owner already has `max`; null when refused. An owner's creates
   * take turns (a transaction-scoped advisory lock), so two at once cannot both see room for one.
   */
  async createWithin(e: NewEndpoint, max: number): Promise<Endpoint | null> {
    return this.db.transaction(async (tx) => {
      await takeKeyTurn(tx, 'webhooks.endpoints', e.owner_id);
      const { rows: counted } = await tx.query<{ n: string }>('SELECT count(*) AS n FROM endpoints WHERE owner_id = $1', [e.owner_id]);
      if (Number(counted[0]?.n ?? 0) >= max) return null;
      const { rows } = await tx.query<Endpoint>(
        `INSERT INTO endpoints (id, owner_id, url, description, event_types, subjects, active, headers, secret, rate_limit_per_second)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10) RETURNING ${COLUMNS}`,
        [
          newId('wh'),
          e.owner_id,
          e.url,
          e.description,
          e.event_types,
          e.subjects,
          e.active,
          JSON.stringify(e.headers),
          e.secret,
          e.rate_limit_per_second,
        ],
      );
      return rows[0];
    });
  }

  async list(ownerId: string | null): Promise<Endpoint[]> {
    const { rows } = await this.db.query<Endpoint>(
      `SELECT ${COLUMNS} FROM endpoints WHERE ($1::text IS NULL OR owner_id = $1) ORDER BY created_at, id`,
      [ownerId],
    );
    return rows;
  }

  async get(ownerId: string | null, id: string): Promise<Endpoint | null> {
    const { rows } = await this.db.query<Endpoint>(`SELECT ${COLUMNS} FROM endpoints WHERE id = $1 AND ${OWNED_BY_2}`, [id, ownerId]);
    return rows[0] ?? null;
  }

  async update(ownerId: string | null, id: string, patch: EndpointPatch): Promise<Endpoint | null> {
    const sets: string[] = [];
    const params: unknown[] = [id, ownerId];
    const set = (column: string, value: unknown, cast = '') => {
      params.push(value);
      sets.push(`${column} = $${params.length}${cast}`);
    };
    if (patch.url !== undefined) set('url', patch.url);
    if (patch.description !== undefined) set('description', patch.description);
    if (patch.event_types !== undefined) set('event_types', patch.event_types);
    if (patch.subjects !== undefined) set('subjects', patch.subjects);
    if (patch.headers !== undefined) set('headers', JSON.stringify(patch.headers), '::jsonb');
    if (patch.rate_limit_per_second !== undefined) set('rate_limit_per_second', patch.rate_limit_per_second);
    if (patch.active !== undefined) {
      set('active', patch.active);
      // Re-enabling starts the failure clock afresh; otherwise the next failure would disable it again at once.
      if (patch.active) sets.push('disabled_reason = NULL', 'failing_since = NULL');
      else sets.push(`disabled_reason = 'disabled by its owner'`);
    }
    sets.push('updated_at = now()');
    const { rows } = await this.db.query<Endpoint>(
      `UPDATE endpoints SET ${sets.join(', ')} WHERE id = $1 AND ${OWNED_BY_2} RETURNING ${COLUMNS}`,
      params,
    );
    return rows[0] ?? null;
  }

  async delete(ownerId: string | null, id: string): Promise<boolean> {
    const { rows } = await this.db.query(`DELETE FROM endpoints WHERE id = $1 AND ${OWNED_BY_2} RETURNING id`, [id, ownerId]);
    return rows.length > 0;
  }

  /**
   * The new secret signs from now on; every rotated-out one keeps signing until its own end
   * (planRotation). Rotations of one endpoint take turns (the row lock), so two at once both keep
   * what the other rotated out. Null: no such endpoint among the owner's.
   */
  async rotateSecret(ownerId: string | null, id: string, secret: string, overlapMs: number, now: Date): Promise<Rotated | null> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<Endpoint>(`SELECT ${COLUMNS} FROM endpoints WHERE id = $1 AND ${OWNED_BY_2} FOR UPDATE`, [
        id,
        ownerId,
      ]);
      const endpoint = rows[0];
      if (!endpoint) return null;
      const plan = planRotation(endpoint, secret, now, overlapMs);
      if (plan.kind === 'full') return plan;
      if (plan.kind === 'unchanged') return { kind: 'rotated', endpoint, retiredUntil: plan.retiredUntil };
      // previous_secret and its end are still written as before for a replica on the older code
      // during a rolling deploy; nothing here reads them (migration 003).
      const { rows: updated } = await tx.query<Endpoint>(
        `UPDATE endpoints SET secret = $2, retiring_secrets = $3::jsonb, previous_secret = secret, previous_secret_expires_at = $4,
           updated_at = now()
         WHERE id = $1 RETURNING ${COLUMNS}`,
        [id, secret, JSON.stringify(plan.retiring), plan.retiredUntil],
      );
      return { kind: 'rotated', endpoint: updated[0], retiredUntil: plan.retiredUntil };
    });
  }

  /**
   * Starts or continues the failure clock (a success stops it: DeliveryStore.recordAttempts);
   * disables the endpoint once it has failed every attempt for `disableAfterMs`. Returns the reason only to the one caller that disabled it, so exactly
   * one system_error event is published however many replicas see failures at once.
   */
  async recordFailure(db: Queryable, id: string, disableAfterMs: number): Promise<string | null> {
    const { rows } = await db.query<{ failing_ms: number }>(
      `UPDATE endpoints SET failing_since = COALESCE(failing_since, now()) WHERE id = $1
       RETURNING EXTRACT(EPOCH FROM (now() - failing_since)) * 1000 AS failing_ms`,
      [id],
    );
    if (rows.length === 0 || Number(rows[0].failing_ms) < disableAfterMs) return null;
    const reason = `every attempt failed for ${Math.round(disableAfterMs / 1000)} s (WEBHOOK_DISABLE_AFTER_MS)`;
    return (await this.disable(db, id, reason)) ? reason : null;
  }

  /** Returns true when this call turned an active endpoint off. */
  async disable(db: Queryable, id: string, reason: string): Promise<boolean> {
    const { rows } = await db.query(
      `UPDATE endpoints SET active = false, disabled_reason = $2, updated_at = now() WHERE id = $1 AND active RETURNING id`,
      [id, reason],
    );
    return rows.length > 0;
  }

  /**
   * Per-endpoint rate limit with the generic cell rate algorithm, kept in the endpoint row so every
   * replica draws from one budget (bursts up to one second's worth). Returns 0 when a send may go
   * now, otherwise the milliseconds to wait.
   */
  async takeRateSlot(id: string, perSecond: number): Promise<number> {
    const intervalMs = 1000 / perSecond;
    const toleranceMs = 1000 - intervalMs;
    const { rows } = await this.db.query<{ wait_ms: number }>(
      `WITH cur AS (
         SELECT id, GREATEST(COALESCE(rate_tat, now()), now()) AS tat FROM endpoints WHERE id = $1 FOR UPDATE
       ), taken AS (
         UPDATE endpoints e SET rate_tat = cur.tat + ($2::double precision * interval '1 millisecond')
         FROM cur WHERE e.id = cur.id AND cur.tat <= now() + ($3::double precision * interval '1 millisecond')
         RETURNING e.id
       )
       SELECT CASE WHEN EXISTS (SELECT 1 FROM taken) THEN 0
         ELSE EXTRACT(EPOCH FROM (cur.tat - now())) * 1000 - $3 END AS wait_ms FROM cur`,
      [id, intervalMs, toleranceMs],
    );
    return rows.length === 0 ? 0 : Math.max(0, Math.ceil(Number(rows[0].wait_ms)));
  }
}
