import { takeKeyTurn, type Database } from '@marketpulse/runtime';
import type { Condition, Rule, Severity } from '../rules/rule';

interface RuleRow {
  id: string;
  user_id: string;
  name: string;
  description: string;
  symbol: string;
  severity: string;
  enabled: boolean;
  system: boolean;
  condition: Condition | string;
  cooldown_seconds: number;
  created_at: Date | string;
  updated_at: Date | string;
  last_triggered_at: Date | string | null;
}

export interface RuleFilter {
  /** Only this owner's rules; undefined = every owner. */
  user_id?: string;
  symbol?: string;
  include_system: boolean;
}

const iso = (v: Date | string) => new Date(v).toISOString();

function fromRow(r: RuleRow): Rule {
  return {
    id: r.id,
    user_id: r.user_id,
    name: r.name,
    description: r.description,
    symbol: r.symbol,
    severity: r.severity as Severity,
    enabled: r.enabled,
    system: r.system,
    condition: typeof r.condition === 'string' ? (JSON.parse(r.condition) as Condition) : r.condition,
    cooldown_seconds: r.cooldown_seconds,
    created_at: iso(r.created_at),
    updated_at: iso(r.updated_at),
    last_triggered_at: r.last_triggered_at ? iso(r.last_triggered_at) : undefined,
  };
}

/** Alert rules in the service's schema. */
export class RuleStore {
  constructor(private readonly db: Database) {}

  async insert(rule: Rule): Promise<void> {
    await this.db.query(INSERT_RULE, insertParams(rule));
  }

  /**
   * Inserts a user's rule unless the user already has `max` (system rules do not count); false
   * when refused. The user's creates take turns (a transaction-scoped advisory lock), so two at
   * once cannot both see room for one.
   */
  async insertWithin(rule: Rule, max: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      await takeKeyTurn(tx, 'alerting.rules', rule.user_id);
      const { rows } = await tx.query<{ n: string }>('SELECT count(*) AS n FROM rules WHERE user_id = $1 AND NOT system', [rule.user_id]);
      if (Number(rows[0]?.n ?? 0) >= max) return false;
      await tx.query(INSERT_RULE, insertParams(rule));
      return true;
    });
  }

  /** Inserts unless a rule with the id exists (instances starting together); true when inserted. */
  async insertIfAbsent(rule: Rule): Promise<boolean> {
    const { rows } = await this.db.query<{ id: string }>(`${INSERT_RULE} ON CONFLICT (id) DO NOTHING RETURNING id`, insertParams(rule));
    return rows.length > 0;
  }

  async update(rule: Rule): Promise<void> {
    await this.db.query(
      `UPDATE rules SET name = $2, description = $3, symbol = $4, severity = $5, enabled = $6, condition = $7::jsonb,
              cooldown_seconds = $8, updated_at = $9
        WHERE id = $1`,
      [
        rule.id,
        rule.name,
        rule.description,
        rule.symbol,
        rule.severity,
        rule.enabled,
        JSON.stringify(rule.condition),
        rule.cooldown_seconds,
        rule.updated_at,
      ],
    );
  }

  async get(id: string): Promise<Rule | undefined> {
    const { rows } = await this.db.query<RuleRow>('SELECT * FROM rules WHERE id = $1', [id]);
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  async delete(id: string): Promise<boolean> {
    const { rows } = await this.db.query<{ id: string }>('DELETE FROM rules WHERE id = $1 RETURNING id', [id]);
    return rows.length > 0;
  }

  async list(filter: RuleFilter): Promise<Rule[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.user_id !== undefined) {
      params.push(filter.user_id);
      where.push(`user_id = $${params.length} AND NOT system`);
    } else if (!filter.include_system) {
      where.push('NOT system');
    }
    if (filter.symbol) {
      params.push(filter.symbol.toUpperCase());
      where.push(`symbol = $${params.length}`);
    }
    const sql = `SELECT * FROM rules ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, id`;
    const { rows } = await this.db.query<RuleRow>(sql, params);
    return rows.map(fromRow);
  }

  /**
   * What the rule set is now, in one short answer: it changes with any row written, added or
   * deleted (every column of every row hashed, the hashes summed). Reading the set itself costs
   * its size each time (20,000 rules: 4.5 CPU-s of every 30 s re-reading an unchanged set).
   */
  async fingerprint(): Promise<string> {
    const { rows } = await this.db.query<{ n: string; h: string }>(
      'SELECT count(*)::text AS n, coalesce(sum(hashtext(rules::text)::bigint), 0)::text AS h FROM rules',
    );
    return `${rows[0]!.n}:${rows[0]!.h}`;
  }

  async listAll(): Promise<Rule[]> {
    const { rows } = await this.db.query<RuleRow>('SELECT * FROM rules ORDER BY created_at, id');
    return rows.map(fromRow);
  }
}

const INSERT_RULE = `INSERT INTO rules (id, user_id, name, description, symbol, severity, enabled, system, condition, cooldown_seconds, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12)`;

/** The values of INSERT_RULE's placeholders, in its column order. */
function insertParams(rule: Rule): unknown[] {
  return [
    rule.id,
    rule.user_id,
    rule.name,
    rule.description,
    rule.symbol,
    rule.severity,
    rule.enabled,
    rule.system,
    JSON.stringify(rule.condition),
    rule.cooldown_seconds,
    rule.created_at,
    rule.updated_at,
  ];
}
