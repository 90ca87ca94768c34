import type { WebhookQueueFigures } from '../metrics/webhook_metrics';
import type { Queryable } from './queryable';

/** The backlog and the endpoints' states, for the metrics read at scrape time (one round trip). */
export async function readQueueFigures(db: Queryable): Promise<WebhookQueueFigures> {
  const { rows } = await db.query<{
    depth: string | number;
    oldest_age: string | number | null;
    active: string | number;
    failing: string | number;
    disabled: string | number;
  }>(
    `SELECT
       (SELECT count(*) FROM deliveries WHERE status IN ('pending', 'sending')) AS depth,
       (SELECT extract(epoch FROM now() - min(created_at)) FROM deliveries WHERE status IN ('pending', 'sending')) AS oldest_age,
       (SELECT count(*) FROM endpoints WHERE active AND failing_since IS NULL) AS active,
       (SELECT count(*) FROM endpoints WHERE active AND failing_since IS NOT NULL) AS failing,
       (SELECT count(*) FROM endpoints WHERE NOT active) AS disabled`,
  );
  const r = rows[0];
  return {
    depth: Number(r?.depth ?? 0),
    oldestAgeSeconds: Math.max(0, Number(r?.oldest_age ?? 0)),
    endpoints: { active: Number(r?.active ?? 0), failing: Number(r?.failing ?? 0), disabled: Number(r?.disabled ?? 0) },
  };
}
