import type { Database } from '@marketpulse/runtime';

/**
 * Event ids the publish API accepted, so that publishing an id again is answered as a duplicate
 * instead of being put on the bus and silently dropped by every consumer. Shared by every gateway
 * instance through the database; ids older than the retention are forgotten.
 */
export interface PublishedIds {
  /** Records every id of `ids` not yet known; returns those already known (then records none). */
  claim(ids: readonly string[]): Promise<string[]>;
  /** Forgets ids claimed for events the bus then refused, so a retry is not a duplicate. */
  release(ids: readonly string[]): Promise<void>;
}

export const PUBLISHED_ID_MIGRATIONS = [
  {
    id: '003_published_event_ids',
    sql: `CREATE TABLE IF NOT EXISTS published_event_ids (
      id text PRIMARY KEY,
      published_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX IF NOT EXISTS published_event_ids_age ON published_event_ids (published_at)`,
  },
];

/** PUBLISH_ID_RETENTION_HOURS' default: a week. */
export const DEFAULT_PUBLISH_ID_RETENTION_HOURS = 168;
const PRUNE_EVERY_MS = 3_600_000;

/** A claim waiting for the next statement. */
interface PendingClaim {
  readonly ids: readonly string[];
  resolve(known: string[]): void;
  reject(err: unknown): void;
}

/**
 * Each claim's answer when `calls` were claimed one after another on a database where exactly the
 * ids of `inserted` were new, as one statement inserted them: a call takes the new ids not taken by
 * an earlier call, or, if any of its ids is known, none (its known ids are its answer, and what it
 * would have taken stays free for later calls). `release`: the inserted ids no call took.
 */
export function settleClaims(
  calls: readonly (readonly string[])[],
  inserted: ReadonlySet<string>,
): { known: string[][]; release: string[] } {
  const taken = new Set<string>();
  const known = calls.map((ids) => {
    const refused = ids.filter((id) => !inserted.has(id) || taken.has(id));
    if (refused.length === 0) for (const id of ids) taken.add(id);
    return refused;
  });
  return { known, release: [...inserted].filter((id) => !taken.has(id)) };
}

export class DbPublishedIds implements PublishedIds {
  private prunedAt = 0;
  /**
   * Claims made while a statement runs wait and go together in the next one (issue 19): on the
   * embedded database each statement costs about a millisecond of the event loop, and while the
   * gateway is behind, publish requests arrive many at a time. A claim with none in flight starts at once.
   */
  private waiting: PendingClaim[] = [];
  private claiming = false;

  private constructor(
    private readonly db: Database,
    private readonly retentionHours: number,
  ) {}

  static async open(db: Database, retentionHours = DEFAULT_PUBLISH_ID_RETENTION_HOURS): Promise<DbPublishedIds> {
    await db.migrate(PUBLISHED_ID_MIGRATIONS);
    return new DbPublishedIds(db, retentionHours);
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
        const { rows } = await this.db.query<{ id: string }>(
          `INSERT INTO published_event_ids (id) SELECT unnest($1::text[]) ON CONFLICT (id) DO NOTHING RETURNING id`,
          [[...new Set(batch.flatMap((c) => c.ids))]],
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
