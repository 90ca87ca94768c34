import type { Database } from '@marketpulse/runtime';
import {
  DEFAULT_PUBLISH_ID_LEASE_SECONDS,
  DEFAULT_PUBLISH_ID_RETENTION_HOURS,
  settleClaims,
  type PublishedIds,
  type UnfinishedClaim,
} from './published_ids';

export const PUBLISHED_ID_MIGRATIONS = [
  {
    id: '003_published_event_ids',
    sql: `CREATE TABLE IF NOT EXISTS published_event_ids (
      id text PRIMARY KEY,
      published_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX IF NOT EXISTS published_event_ids_age ON published_event_ids (published_at)`,
  },
  {
    // NULL: the bus took the event. Set: claimed by a publish not yet confirmed, which another
    // claim may take over from then on (the gateway that claimed it stopped before the bus answered).
    id: '004_published_event_ids_unfinished',
    sql: `ALTER TABLE published_event_ids ADD COLUMN IF NOT EXISTS unfinished_until timestamptz`,
  },
];

const PRUNE_EVERY_MS = 3_600_000;

/** A claim waiting for the next statement. */
interface PendingClaim {
  readonly ids: readonly string[];
  resolve(known: string[]): void;
  reject(err: unknown): void;
}

/** Published ids in the gateway's database, shared by every instance: the Kafka bus, and the workers of one gateway. */
export class DbPublishedIds implements PublishedIds {
  private prunedAt = 0;
  /**
   * Claims made while a statement runs wait and go together in the next one (issue 19): on the
   * embedded database each statement costs about a millisecond of the event loop, and while the
   * gateway is behind, publish requests arrive many at a time. A claim with none in flight starts at once.
   */
  private waiting: PendingClaim[] = [];
  private claiming = false;
  /** Confirmations made while one runs go together in the next statement, as claims do. */
  private confirming: Promise<void> | undefined;
  private toConfirm: string[] = [];

  private constructor(
    private readonly db: Database,
    private readonly retentionHours: number,
    private readonly leaseSeconds: number,
  ) {}

  static async open(
    db: Database,
    retentionHours = DEFAULT_PUBLISH_ID_RETENTION_HOURS,
    leaseSeconds = DEFAULT_PUBLISH_ID_LEASE_SECONDS,
  ): Promise<DbPublishedIds> {
    await db.migrate(PUBLISHED_ID_MIGRATIONS);
    return new DbPublishedIds(db, retentionHours, leaseSeconds);
  }

  confirm(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return Promise.resolve();
    this.toConfirm.push(...ids);
    this.confirming ??= this.confirmWaiting().finally(() => (this.confirming = undefined));
    return this.confirming;
  }

  private async confirmWaiting(): Promise<void> {
    // Joined by confirmations made until the statement starts; later ones wait for the next.
    await Promise.resolve();
    while (this.toConfirm.length > 0) {
      const ids = this.toConfirm;
      this.toConfirm = [];
      await this.db.query('UPDATE published_event_ids SET unfinished_until = NULL WHERE id = ANY($1::text[])', [ids]);
    }
  }

  async unfinished(ids: readonly string[]): Promise<UnfinishedClaim[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.db.query<{ id: string; wait: number | string }>(
      `SELECT id, ceil(extract(epoch FROM unfinished_until - now())) AS wait
         FROM published_event_ids WHERE id = ANY($1::text[]) AND unfinished_until IS NOT NULL`,
      [[...ids]],
    );
    return rows.map((r) => ({ id: r.id, retryAfterSeconds: Math.max(1, Number(r.wait)) }));
  }

  claim(ids: readonly string[]): Promise<string[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ ids, resolve, reject });
      if (!this.claiming) void this.claimWaiting();
    });
  }

  async release(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.query('DELETE FROM published_event_ids WHERE id = ANY($1::text[])', [[...ids]]);
  }

  private async claimWaiting(): Promise<void> {
    this.claiming = true;
    while (this.waiting.length > 0) {
      const batch = this.waiting;
      this.waiting = [];
      try {
        await this.pruneNowAndThen();
        // New ids, and ids whose claim was never confirmed within its lease (taken over: their
        // publisher stopped before the bus answered, so the event may never have been published).
        const { rows } = await this.db.query<{ id: string }>(
          `INSERT INTO published_event_ids (id, unfinished_until)
             SELECT unnest($1::text[]), now() + make_interval(secs => $2)
           ON CONFLICT (id) DO UPDATE SET published_at = now(), unfinished_until = EXCLUDED.unfinished_until
             WHERE published_event_ids.unfinished_until < now()
           RETURNING id`,
          [[...new Set(batch.flatMap((c) => c.ids))], this.leaseSeconds],
        );
        const { known, release } = settleClaims(
          batch.map((c) => c.ids),
          new Set(rows.map((r) => r.id)),
        );
        // A claim refused for a known id is answered once its other ids are free again.
        let releaseFailed: { err: unknown } | undefined;
        await this.release(release).catch((err: unknown) => void (releaseFailed = { err }));
        batch.forEach((c, i) => {
          if (releaseFailed && known[i]!.length > 0) c.reject(releaseFailed.err);
          else c.resolve(known[i]!);
        });
      } catch (err) {
        for (const c of batch) c.reject(err);
      }
    }
    this.claiming = false;
  }

  private async pruneNowAndThen(): Promise<void> {
    const now = Date.now();
    if (now - this.prunedAt < PRUNE_EVERY_MS) return;
    this.prunedAt = now;
    await this.db.query(`DELETE FROM published_event_ids WHERE published_at < now() - make_interval(hours => $1)`, [this.retentionHours]);
  }
}
