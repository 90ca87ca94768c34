import type { Database, Queryable } from '@marketpulse/runtime';
import type { Severity } from '../rules/rule';

export interface AlertRecord {
  id: string;
  rule_id: string;
  rule_name: string;
  user_id: string;
  alert_type: string;
  condition: string;
  severity: Severity;
  symbol: string;
  provider: string;
  message: string;
  values: Record<string, number>;
  timestamp: string;
  acknowledged: boolean;
  acknowledged_by: string;
  acknowledged_at: string | undefined;
  source_event_id: string;
}

export interface AlertFilter {
  /** Only this owner's alerts; undefined = everyone's (system alerts included). */
  user_id?: string;
  acknowledged?: boolean;
  hours: number;
  severity?: string;
  symbol?: string;
  limit: number;
}

interface AlertRow extends Omit<AlertRecord, 'values' | 'timestamp' | 'acknowledged_at'> {
  alert_values: Record<string, number> | string;
  triggered_at: Date | string;
  acknowledged_at: Date | string | null;
}

export interface OutboxEntry {
  id: string;
  /** base64 of events.Event.encode(...). */
  event: string;
  /** W3C traceparent of the event being handled when this one was raised; null outside a trace. */
  traceparent: string | null;
}

function fromRow(r: AlertRow): AlertRecord {
  return {
    id: r.id,
    rule_id: r.rule_id,
    rule_name: r.rule_name,
    user_id: r.user_id,
    alert_type: r.alert_type,
    condition: r.condition,
    severity: r.severity,
    symbol: r.symbol,
    provider: r.provider,
    message: r.message,
    values: typeof r.alert_values === 'string' ? (JSON.parse(r.alert_values) as Record<string, number>) : r.alert_values,
    timestamp: new Date(r.triggered_at).toISOString(),
    acknowledged: r.acknowledged,
    acknowledged_by: r.acknowledged_by,
    acknowledged_at: r.acknowledged_at ? new Date(r.acknowledged_at).toISOString() : undefined,
    source_event_id: r.source_event_id,
  };
}

/** Alert history and the event outbox that announces it. */
export class AlertStore {
  constructor(private readonly db: Database) {}

  /**
   * Stores alerts with the events announcing them, and stamps their rules' last_triggered_at, in one
   * transaction. Alerts already stored (a redelivered event) are skipped; returns the new ones.
   */
  async record(alerts: AlertRecord[], outbox: OutboxEntry[]): Promise<AlertRecord[]> {
    if (!alerts.length && !outbox.length) return [];
    return this.db.transaction(async (tx) => {
      const fresh: AlertRecord[] = [];
      for (const a of alerts) {
        const { rows } = await tx.query<{ id: string }>(
          `INSERT INTO alerts (id, rule_id, rule_name, user_id, alert_type, condition, severity, symbol, provider, message,
                               alert_values, triggered_at, source_event_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13)
           ON CONFLICT (id) DO NOTHING RETURNING id`,
          [
            a.id,
            a.rule_id,
            a.rule_name,
            a.user_id,
            a.alert_type,
            a.condition,
            a.severity,
            a.symbol,
            a.provider,
            a.message,
            JSON.stringify(a.values),
            a.timestamp,
            a.source_event_id,
          ],
        );
        if (!rows.length) continue;
        fresh.push(a);
        await tx.query('UPDATE rules SET last_triggered_at = GREATEST(COALESCE(last_triggered_at, $2), $2) WHERE id = $1', [
          a.rule_id,
          a.timestamp,
        ]);
      }
      await this.addToOutbox(tx, outbox);
      return fresh;
    });
  }

  private async addToOutbox(tx: Queryable, entries: OutboxEntry[]): Promise<void> {
    for (const e of entries) {
      await tx.query('INSERT INTO outbox (id, event, traceparent) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING', [
        e.id,
        e.event,
        e.traceparent,
      ]);
    }
  }

  async pendingOutbox(limit: number): Promise<OutboxEntry[]> {
    const { rows } = await this.db.query<OutboxEntry>('SELECT id, event, traceparent FROM outbox ORDER BY created_at, id LIMIT $1', [
      limit,
    ]);
    return rows;
  }

  async removeFromOutbox(ids: string[]): Promise<void> {
    if (ids.length) await this.db.query('DELETE FROM outbox WHERE id = ANY($1::text[])', [ids]);
  }

  async get(id: string): Promise<AlertRecord | undefined> {
    const { rows } = await this.db.query<AlertRow>('SELECT * FROM alerts WHERE id = $1', [id]);
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  async list(f: AlertFilter): Promise<AlertRecord[]> {
    const params: unknown[] = [new Date(Date.now() - f.hours * 3600_000).toISOString()];
    const where = ['triggered_at >= $1'];
    const add = (clause: (n: number) => string, value: unknown) => {
      params.push(value);
      where.push(clause(params.length));
    };
    if (f.user_id !== undefined) add((n) => `user_id = $${n}`, f.user_id);
    if (f.acknowledged !== undefined) add((n) => `acknowledged = $${n}`, f.acknowledged);
    if (f.severity) add((n) => `severity = $${n}`, f.severity);
    if (f.symbol) add((n) => `symbol = $${n}`, f.symbol.toUpperCase());
    params.push(f.limit);
    const { rows } = await this.db.query<AlertRow>(
      `SELECT * FROM alerts WHERE ${where.join(' AND ')} ORDER BY triggered_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(fromRow);
  }

  /** Marks an alert acknowledged; a second acknowledge keeps the first one's who and when. */
  async acknowledge(id: string, by: string, at: string): Promise<AlertRecord | undefined> {
    await this.db.query(
      'UPDATE alerts SET acknowledged = true, acknowledged_by = $2, acknowledged_at = $3 WHERE id = $1 AND NOT acknowledged',
      [id, by, at],
    );
    return this.get(id);
  }
}
