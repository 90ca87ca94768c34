/**
 * The alert rule model used by validation, evaluation and the store. It mirrors
 * marketpulse.alerting.v1.Rule; proto_mapping.ts converts between the two.
 */

export const SEVERITIES = ['info', 'warning', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Conditions users may own. */
export const USER_CONDITIONS = [
  'price_above',
  'price_below',
  'percent_move',
  'prediction_crossing',
  'prediction_interval_exit',
  'risk_threshold',
  'risk_status',
] as const;
/** Conditions only operators create (system rules). */
export const SYSTEM_CONDITIONS = ['rate_limit', 'provider_status_change', 'data_quality_issue', 'system_error'] as const;
export const CONDITION_TYPES = [...USER_CONDITIONS, ...SYSTEM_CONDITIONS] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

/** Numeric zero means "not set" for optional numbers, as in proto3. */
export type Condition =
  | { type: 'price_above'; price: number }
  | { type: 'price_below'; price: number }
  | { type: 'percent_move'; percent: number; window_seconds: number; direction: 'up' | 'down' | 'either' }
  | { type: 'prediction_crossing'; level: number; direction: 'above' | 'below' | 'either'; horizon_seconds: number }
  | { type: 'prediction_interval_exit'; horizon_seconds: number }
  | {
      type: 'risk_threshold';
      drawdown_soft_pause: number;
      drawdown_hard_stop: number;
      daily_loss_soft_pause: number;
      daily_loss_hard_stop: number;
    }
  | { type: 'risk_status'; statuses: string[] }
  | { type: 'rate_limit'; percentage: number; provider: string }
  | { type: 'provider_status_change'; provider: string; new_statuses: string[] }
  | { type: 'data_quality_issue'; kind: string }
  | { type: 'system_error'; service: string };

export interface Rule {
  id: string;
  /** Owner; empty for system rules. */
  user_id: string;
  name: string;
  description: string;
  /** The symbol watched (or, for risk rules, the equity subject); empty = not about one symbol. */
  symbol: string;
  severity: Severity;
  enabled: boolean;
  system: boolean;
  condition: Condition;
  cooldown_seconds: number;
  created_at: string;
  updated_at: string;
  last_triggered_at: string | undefined;
}

export function isSystemCondition(type: ConditionType): boolean {
  return (SYSTEM_CONDITIONS as readonly string[]).includes(type);
}

/** The category people see on an alert (Alert.alert_type). */
export function alertTypeOf(type: ConditionType): string {
  switch (type) {
    case 'price_above':
    case 'price_below':
    case 'percent_move':
      return 'price_alert';
    case 'prediction_crossing':
    case 'prediction_interval_exit':
      return 'prediction_alert';
    case 'risk_threshold':
    case 'risk_status':
      return 'risk_alert';
    case 'provider_status_change':
      return 'provider_status';
    case 'data_quality_issue':
      return 'data_quality';
    default:
      return type;
  }
}

/**
 * The longest percent_move window: prices are kept this long per symbol, so a longer one could only
 * be answered over this much (rules stored before the limit existed are, as they always were).
 */
export const MAX_WINDOW_SECONDS = 86_400;

/** Conditions that only make sense for one symbol. */
export function needsSymbol(type: ConditionType): boolean {
  return ['price_above', 'price_below', 'percent_move', 'prediction_crossing', 'prediction_interval_exit'].includes(type);
}
