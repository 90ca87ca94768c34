import type { Firing, RiskStatusChange } from './evaluation/evaluator';
import { stableId } from './ids';
import { alertTypeOf } from './rules/rule';
import type { AlertRecord } from './store/alert_store';

/** The history row for a firing; its id is stable for (rule, event, subject), so a redelivery dedupes. */
export function alertFromFiring(f: Firing, sourceEventId: string): AlertRecord {
  return {
    id: stableId('alert', f.rule.id, sourceEventId, f.subject),
    rule_id: f.rule.id,
    rule_name: f.rule.name,
    user_id: f.rule.user_id,
    alert_type: alertTypeOf(f.rule.condition.type),
    condition: f.rule.condition.type,
    severity: f.severity,
    symbol: f.symbol,
    provider: f.provider,
    message: f.message,
    values: f.values,
    timestamp: new Date(f.at).toISOString(),
    acknowledged: false,
    acknowledged_by: '',
    acknowledged_at: undefined,
    source_event_id: sourceEventId,
  };
}

export function riskEventId(change: RiskStatusChange, sourceEventId: string): string {
  return stableId('risk', change.rule.id, sourceEventId, change.subject);
}
