import { stableId } from './ids';
import type { Condition, Rule } from './rules/rule';
import type { RuleStore } from './store/rule_store';

const BUILT_IN: { name: string; description: string; severity: Rule['severity']; cooldown_seconds: number; condition: Condition }[] = [
  {
    name: 'Provider rate limit at 80 %',
    description: 'A provider has used 80 % or more of its rate limit.',
    severity: 'warning',
    cooldown_seconds: 300,
    condition: { type: 'rate_limit', percentage: 80, provider: '' },
  },
  {
    name: 'Provider status change',
    description: 'A provider went online, degraded or offline.',
    severity: 'warning',
    // Status changes are rare transitions; each one matters.
    cooldown_seconds: 1,
    condition: { type: 'provider_status_change', provider: '', new_statuses: [] },
  },
  {
    name: 'Data quality issue',
    description: 'Market data flagged a gap, outlier, stale feed or invalid value.',
    severity: 'warning',
    cooldown_seconds: 300,
    condition: { type: 'data_quality_issue', kind: '' },
  },
  {
    name: 'System error',
    description: 'A service reported an error a person should look at.',
    severity: 'high',
    cooldown_seconds: 60,
    condition: { type: 'system_error', service: '' },
  },
];

/** Creates the built-in system rules unless any system rule exists (operators own them after). */
export async function ensureSystemRules(store: RuleStore): Promise<number> {
  const existing = await store.list({ include_system: true });
  if (existing.some((r) => r.system)) return 0;
  const now = new Date().toISOString();
  let created = 0;
  for (const b of BUILT_IN) {
    const rule: Rule = {
      ...b,
      id: stableId('system-rule', b.condition.type),
      user_id: '',
      symbol: '',
      enabled: true,
      system: true,
      created_at: now,
      updated_at: now,
      last_triggered_at: undefined,
    };
    if (await store.insertIfAbsent(rule)) created++;
  }
  return created;
}
