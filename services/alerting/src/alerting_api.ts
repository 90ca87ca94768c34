import { quote } from '@marketpulse/runtime';
import type { AlertEngine } from './engine';
import { invalid, notFound, tooManyRules } from './errors';
import { newId } from './ids';
import type { LiveAlerts } from './live_alerts';
import { SEVERITIES, type Rule } from './rules/rule';
import { WRITABLE_FIELDS, validateRule, type RuleDraft } from './rules/validate';
import type { AlertRecord, AlertStore } from './store/alert_store';
import type { RuleStore } from './store/rule_store';
import type { KnownSymbols } from './symbols';

const DEFAULT_HOURS = 24;
/** Ten years: further back is before any alert and outside what the store's timestamps hold. */
export const MAX_HOURS = 87_600;
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

export interface AlertQuery {
  /** Caller; empty = operator (sees everything). */
  user_id: string;
  acknowledged?: boolean;
  hours: number;
  severity: string;
  symbol: string;
  limit: number;
}

/**
 * What the AlertingService RPCs do, independent of gRPC. A non-empty user id limits every call to
 * that user's own rules and alerts: anything else is reported NOT_FOUND, so ids of other users'
 * rules cannot even be probed.
 */
export class AlertingApi {
  constructor(
    private readonly rules: RuleStore,
    private readonly alerts: AlertStore,
    private readonly engine: AlertEngine,
    private readonly symbols: KnownSymbols,
    private readonly live: LiveAlerts,
    /** ALERT_MAX_RULES_PER_USER: every rule is held in memory and tried on every event it may match. */
    private readonly maxRulesPerUser: number,
  ) {}

  async createRule(draft: RuleDraft, userId: string): Promise<Rule> {
    const valid = await validateRule(draft, { knownSymbol: (s) => this.symbols.has(s), userId });
    const now = new Date().toISOString();
    const rule: Rule = {
      ...valid,
      id: newId(),
      user_id: valid.system ? '' : userId,
      created_at: now,
      updated_at: now,
      last_triggered_at: undefined,
    };
    if (rule.system) await this.rules.insert(rule);
    else if (!(await this.rules.insertWithin(rule, this.maxRulesPerUser))) throw tooManyRules(this.maxRulesPerUser);
    this.engine.ruleChanged(rule, rule.id);
    return rule;
  }

  async getRule(id: string, userId: string): Promise<Rule> {
    const rule = await this.rules.get(id);
    if (!rule || !visible(rule.user_id, rule.system, userId)) throw notFound(`rule ${id} not found`);
    return rule;
  }

  listRules(userId: string, symbol: string, includeSystem: boolean): Promise<Rule[]> {
    return this.rules.list({ user_id: userId || undefined, symbol: symbol || undefined, include_system: includeSystem });
  }

  /** PATCH semantics: only `mask` fields change (all writable fields when it is empty). */
  async updateRule(id: string, patch: RuleDraft, mask: string[], userId: string): Promise<Rule> {
    if (!id) throw invalid('rule.id is required', 'rule.id');
    const paths = mask.length ? mask : [...WRITABLE_FIELDS];
    for (const p of paths) {
      if (!(WRITABLE_FIELDS as readonly string[]).includes(p)) {
        throw invalid(
          `unknown or read-only field ${quote(p)} in update_mask; writable fields: ${WRITABLE_FIELDS.join(', ')}`,
          'update_mask',
        );
      }
    }
    const current = await this.getRule(id, userId);
    const merged: RuleDraft = {
      name: current.name,
      description: current.description,
      symbol: current.symbol,
      severity: current.severity,
      enabled: current.enabled,
      system: current.system,
      condition: current.condition,
      cooldown_seconds: current.cooldown_seconds,
    };
    for (const p of paths) (merged as unknown as Record<string, unknown>)[p] = patch[p as keyof RuleDraft];
    const valid = await validateRule(merged, {
      knownSymbol: (s) => this.symbols.has(s),
      userId: current.system ? '' : current.user_id,
      stored: current.condition,
    });
    const rule: Rule = { ...current, ...valid, system: current.system, updated_at: new Date().toISOString() };
    await this.rules.update(rule);
    this.engine.ruleChanged(rule, rule.id);
    return rule;
  }

  async deleteRule(id: string, userId: string): Promise<void> {
    await this.getRule(id, userId);
    await this.rules.delete(id);
    this.engine.ruleChanged(undefined, id);
  }

  listAlerts(q: AlertQuery): Promise<AlertRecord[]> {
    if (q.hours < 0 || q.hours > MAX_HOURS)
      throw invalid(`hours must be from 0 (= ${DEFAULT_HOURS}) to ${MAX_HOURS}, got ${q.hours}`, 'hours');
    if (q.limit < 0) throw invalid(`limit must be zero (= ${DEFAULT_LIMIT}) or positive, got ${q.limit}`, 'limit');
    if (q.severity && !(SEVERITIES as readonly string[]).includes(q.severity)) {
      throw invalid(`unknown severity ${quote(q.severity)}; expected one of: ${SEVERITIES.join(', ')}`, 'severity');
    }
    return this.alerts.list({
      user_id: q.user_id || undefined,
      acknowledged: q.acknowledged,
      hours: q.hours || DEFAULT_HOURS,
      severity: q.severity || undefined,
      symbol: q.symbol || undefined,
      limit: Math.min(q.limit || DEFAULT_LIMIT, MAX_LIMIT),
    });
  }

  async acknowledge(id: string, by: string, userId: string): Promise<AlertRecord> {
    if (!id) throw invalid('alert id is required', 'id');
    const alert = await this.alerts.get(id);
    if (!alert || !visible(alert.user_id, alert.user_id === '', userId)) throw notFound(`alert ${id} not found`);
    const updated = await this.alerts.acknowledge(id, by || userId || 'operator', new Date().toISOString());
    return updated ?? alert;
  }

  /**
   * Live alerts raised by any instance for a caller: their own (or all, for an operator), optionally
   * only some symbols.
   */
  subscribe(userId: string, symbols: string[], includeSystem: boolean, onAlert: (a: AlertRecord) => void): () => void {
    const wanted = new Set(symbols.map((s) => s.toUpperCase()));
    return this.live.listen((a) => {
      if (userId ? a.user_id !== userId : a.user_id === '' && !includeSystem) return;
      if (wanted.size && !wanted.has(a.symbol)) return;
      onAlert(a);
    });
  }
}

function visible(ownerId: string, system: boolean, userId: string): boolean {
  if (!userId) return true;
  return !system && ownerId === userId;
}
