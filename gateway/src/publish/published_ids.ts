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

export class DbPublishedIds implements PublishedIds {
  private prunedAt = 0;

  private constructor(
    private readonly db: Database,
    private readonly retentionHours: number,
  ) {}

  static async open(db: Database, retentionHours = DEFAULT_PUBLISH_ID_RETENTION_HOURS): Promise<DbPublishedIds> {
    await db.migrate(PUBLISHED_ID_MIGRATIONS);
    return new DbPublishedIds(db, retentionHours);
  }

  async claim(ids: readonly string[]): Promise<string[]> {
    await this.pruneNowAndThen();
    const { rows } = await this.db.query<{ id: string }>(
      `INSERT INTO published_event_ids (id) SELECT unnest($1::text[]) ON CONFLICT (id) DO NOTHING RETURNING id`,
      [[...ids]],
    );
    const claimed = new Set(rows.map((r) => r.id));
    const known = ids.filter((id) => !claimed.has(id));
    if (known.length > 0 && claimed.size > 0) await this.release([...claimed]);
    return known;
  }

  async release(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.query('DELETE FROM published_event_ids WHERE id = ANY($1::text[])', [[...ids]]);
  }

  private async pruneNowAndThen(): Promise<void> {
    const now = Date.now();
    if (now - this.prunedAt < PRUNE_EVERY_MS) return;
    this.prunedAt = now;
    await this.db.query(`DELETE FROM published_event_ids WHERE published_at < now() - make_interval(hours => $1)`, [this.retentionHours]);
  }
}
