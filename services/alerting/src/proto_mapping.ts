import type { alerting } from '@marketpulse/proto';
import type { Condition, Rule, Severity } from './rules/rule';
import type { RuleDraft } from './rules/validate';
import type { AlertRecord } from './store/alert_store';

type ProtoCondition = NonNullable<alerting.RuleCondition['kind']>;

export function conditionFromProto(c: alerting.RuleCondition | undefined): Condition | undefined {
  const k = c?.kind;
  if (!k) return undefined;
  switch (k.$case) {
    case 'price_above':
      return { type: 'price_above', price: k.price_above.price };
    case 'price_below':
      return { type: 'price_below', price: k.price_below.price };
    case 'percent_move': {
      const x = k.percent_move;
      return { type: 'percent_move', percent: x.percent, window_seconds: x.window_seconds, direction: x.direction as 'up' };
    }
    case 'prediction_crossing': {
      const x = k.prediction_crossing;
      return { type: 'prediction_crossing', level: x.level, direction: x.direction as 'above', horizon_seconds: x.horizon_seconds };
    }
    case 'prediction_interval_exit':
      return { type: 'prediction_interval_exit', horizon_seconds: k.prediction_interval_exit.horizon_seconds };
    case 'risk_threshold':
      return { type: 'risk_threshold', ...k.risk_threshold };
    case 'risk_status':
      return { type: 'risk_status', statuses: [...k.risk_status.statuses] };
    case 'rate_limit':
      return { type: 'rate_limit', percentage: k.rate_limit.percentage, provider: k.rate_limit.provider };
    case 'provider_status_change':
      return {
        type: 'provider_status_change',
        provider: k.provider_status_change.provider,
        new_statuses: [...k.provider_status_change.new_statuses],
      };
    case 'data_quality_issue':
      return { type: 'data_quality_issue', kind: k.data_quality_issue.kind };
    case 'system_error':
      return { type: 'system_error', service: k.system_error.service };
  }
}

export function conditionToProto(c: Condition): alerting.RuleCondition {
  const { type, ...fields } = c;
  return { kind: { $case: type, [type]: fields } as ProtoCondition };
}

export function draftFromProto(r: alerting.Rule): RuleDraft {
  return {
    name: r.name,
    description: r.description,
    symbol: r.symbol,
    severity: r.severity,
    enabled: r.enabled,
    system: r.system,
    condition: conditionFromProto(r.condition),
    cooldown_seconds: r.cooldown_seconds,
  };
}

export function ruleToProto(r: Rule): alerting.Rule {
  return {
    id: r.id,
    user_id: r.user_id,
    name: r.name,
    description: r.description,
    symbol: r.symbol,
    severity: r.severity,
    enabled: r.enabled,
    system: r.system,
    condition: conditionToProto(r.condition),
    cooldown_seconds: r.cooldown_seconds,
    created_at: r.created_at,
    updated_at: r.updated_at,
    last_triggered_at: r.last_triggered_at,
  };
}

export function alertToProto(a: AlertRecord): alerting.Alert {
  return {
    id: a.id,
    rule_id: a.rule_id,
    rule_name: a.rule_name,
    user_id: a.user_id,
    alert_type: a.alert_type,
    condition: a.condition,
    severity: a.severity,
    symbol: a.symbol,
    provider: a.provider,
    message: a.message,
    values: { ...a.values },
    timestamp: a.timestamp,
    acknowledged: a.acknowledged,
    acknowledged_by: a.acknowledged_by,
    acknowledged_at: a.acknowledged_at,
    source_event_id: a.source_event_id,
  };
}

/** The inverse of alertToProto, for alerts that arrive as alert_triggered events. */
export function alertFromProto(a: alerting.Alert): AlertRecord {
  return {
    ...a,
    severity: a.severity as Severity,
    values: { ...a.values },
    timestamp: a.timestamp ?? '',
    acknowledged_at: a.acknowledged_at,
  };
}
