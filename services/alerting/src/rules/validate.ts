import { INT32_MAX } from '@marketpulse/runtime';
import { invalid } from '../errors';
import {
  CONDITION_TYPES,
  MAX_WINDOW_SECONDS,
  SEVERITIES,
  USER_CONDITIONS,
  isSystemCondition,
  needsSymbol,
  type Condition,
  type Severity,
} from './rule';

/** The writable part of a rule, as a caller sends it. */
export interface RuleDraft {
  name: string;
  description: string;
  symbol: string;
  severity: string;
  enabled: boolean;
  system: boolean;
  condition: Condition | undefined;
  cooldown_seconds: number;
}

export interface ValidRule {
  name: string;
  description: string;
  symbol: string;
  severity: Severity;
  enabled: boolean;
  system: boolean;
  condition: Condition;
  cooldown_seconds: number;
}

/** Rule fields an UpdateRule mask may name. */
export const WRITABLE_FIELDS = ['name', 'description', 'symbol', 'severity', 'enabled', 'condition', 'cooldown_seconds'] as const;

const PROVIDER_STATUSES = ['online', 'degraded', 'offline'];
const RISK_STATUSES = ['normal', 'soft_pause', 'hard_stop'];

export interface ValidationContext {
  /** Whether market data publishes this symbol. */
  knownSymbol: (symbol: string) => Promise<boolean>;
  /** The caller's user id; empty for an operator. */
  userId: string;
  /**
   * On an update, the rule's condition as stored: a percent_move window above MAX_WINDOW_SECONDS
   * it already has may stay (it was accepted before the limit and is answered over the limit), so
   * such a rule can still be renamed, disabled or given another percent.
   */
  stored?: Condition;
}

/**
 * Checks a rule and returns it normalised, or throws INVALID_ARGUMENT with a message that says
 * which field is wrong and what would be right. An unknown symbol is refused so that a typo cannot
 * create a rule that never fires.
 */
export async function validateRule(draft: RuleDraft, ctx: ValidationContext): Promise<ValidRule> {
  const name = (draft.name ?? '').trim();
  if (!name) throw invalid('rule.name is required', 'rule.name');
  if (name.length > 200) throw invalid('rule.name must be at most 200 characters', 'rule.name');

  const c = draft.condition;
  if (!c) throw invalid(`rule.condition is required: set one of ${CONDITION_TYPES.join(', ')}`, 'rule.condition');
  if (!(CONDITION_TYPES as readonly string[]).includes(c.type)) throw invalid(`unknown rule condition '${c.type}'`, 'rule.condition');

  const system = draft.system || isSystemCondition(c.type);
  if (system && ctx.userId) {
    throw invalid(
      `${c.type} rules are system rules, which only operators create; users may create ${USER_CONDITIONS.join(', ')}`,
      'rule.condition',
    );
  }

  const symbol = (draft.symbol ?? '').trim().toUpperCase();
  if (needsSymbol(c.type) && !symbol) throw invalid(`rule.symbol is required for ${c.type} rules`, 'rule.symbol');
  if (symbol && c.type !== 'risk_threshold' && c.type !== 'risk_status' && !(await ctx.knownSymbol(symbol))) {
    throw invalid(`unknown symbol '${symbol}': market data does not publish it`, 'rule.symbol');
  }
  if (symbol && (c.type === 'rate_limit' || c.type === 'provider_status_change' || c.type === 'system_error')) {
    throw invalid(`rule.symbol must be empty for ${c.type} rules`, 'rule.symbol');
  }

  let severity: Severity = 'warning';
  if (draft.severity) {
    if (!(SEVERITIES as readonly string[]).includes(draft.severity)) {
      throw invalid(`unknown rule.severity '${draft.severity}'; expected one of: ${SEVERITIES.join(', ')}`, 'rule.severity');
    }
    severity = draft.severity as Severity;
  }

  const cooldown = draft.cooldown_seconds ?? 0;
  if (!Number.isInteger(cooldown) || cooldown < 0 || cooldown > INT32_MAX)
    throw invalid(
      `rule.cooldown_seconds must be a whole number of seconds from 0 (= the default) to ${INT32_MAX}`,
      'rule.cooldown_seconds',
    );

  return {
    name,
    description: (draft.description ?? '').trim(),
    symbol,
    severity,
    enabled: draft.enabled,
    system,
    condition: validateCondition(c, ctx.stored),
    cooldown_seconds: cooldown,
  };
}

function validateCondition(c: Condition, stored: Condition | undefined): Condition {
  const positive = (field: string, v: number) => {
    if (!Number.isFinite(v) || v <= 0)
      throw invalid(`condition.${c.type}.${field} must be greater than zero`, `rule.condition.${c.type}.${field}`);
  };
  const fraction = (field: string, v: number) => {
    if (!Number.isFinite(v) || v < 0 || v >= 1)
      throw invalid(
        `condition.${c.type}.${field} must be a fraction between 0 and 1 (0.04 = 4 %), or 0 for unset`,
        `rule.condition.${c.type}.${field}`,
      );
  };
  const oneOf = (field: string, v: string, allowed: string[]) => {
    if (!allowed.includes(v))
      throw invalid(`condition.${c.type}.${field} '${v}' is not one of: ${allowed.join(', ')}`, `rule.condition.${c.type}.${field}`);
  };
  switch (c.type) {
    case 'price_above':
    case 'price_below':
      positive('price', c.price);
      return { ...c };
    case 'percent_move': {
      positive('percent', c.percent);
      if (!Number.isInteger(c.window_seconds) || c.window_seconds <= 0) {
        throw invalid(
          `condition.percent_move.window_seconds must be a positive whole number of seconds, got ${c.window_seconds}`,
          'rule.condition.percent_move.window_seconds',
        );
      }
      const kept = stored?.type === 'percent_move' && stored.window_seconds === c.window_seconds;
      if (c.window_seconds > MAX_WINDOW_SECONDS && !kept) {
        throw invalid(
          `condition.percent_move.window_seconds must be at most ${MAX_WINDOW_SECONDS} (24 h, the longest this service keeps prices for), got ${c.window_seconds}`,
          'rule.condition.percent_move.window_seconds',
        );
      }
      const direction = c.direction || 'either';
      oneOf('direction', direction, ['up', 'down', 'either']);
      return { ...c, direction };
    }
    case 'prediction_crossing': {
      positive('level', c.level);
      const direction = c.direction || 'either';
      oneOf('direction', direction, ['above', 'below', 'either']);
      if (c.horizon_seconds < 0)
        throw invalid(
          'condition.prediction_crossing.horizon_seconds must not be negative',
          'rule.condition.prediction_crossing.horizon_seconds',
        );
      return { ...c, direction };
    }
    case 'prediction_interval_exit':
      if (c.horizon_seconds < 0)
        throw invalid(
          'condition.prediction_interval_exit.horizon_seconds must not be negative',
          'rule.condition.prediction_interval_exit.horizon_seconds',
        );
      return { ...c };
    case 'risk_threshold': {
      fraction('drawdown_soft_pause', c.drawdown_soft_pause);
      fraction('drawdown_hard_stop', c.drawdown_hard_stop);
      fraction('daily_loss_soft_pause', c.daily_loss_soft_pause);
      fraction('daily_loss_hard_stop', c.daily_loss_hard_stop);
      if (!c.drawdown_soft_pause && !c.drawdown_hard_stop && !c.daily_loss_soft_pause && !c.daily_loss_hard_stop) {
        throw invalid(
          'condition.risk_threshold needs at least one of drawdown_soft_pause, drawdown_hard_stop, daily_loss_soft_pause, daily_loss_hard_stop',
          'rule.condition.risk_threshold',
        );
      }
      if (c.drawdown_soft_pause && c.drawdown_hard_stop && c.drawdown_soft_pause >= c.drawdown_hard_stop) {
        throw invalid(
          'condition.risk_threshold.drawdown_soft_pause must be below drawdown_hard_stop',
          'rule.condition.risk_threshold.drawdown_soft_pause',
        );
      }
      if (c.daily_loss_soft_pause && c.daily_loss_hard_stop && c.daily_loss_soft_pause >= c.daily_loss_hard_stop) {
        throw invalid(
          'condition.risk_threshold.daily_loss_soft_pause must be below daily_loss_hard_stop',
          'rule.condition.risk_threshold.daily_loss_soft_pause',
        );
      }
      return { ...c };
    }
    case 'risk_status':
      c.statuses.forEach((s) => oneOf('statuses', s, RISK_STATUSES));
      return { ...c, statuses: [...c.statuses] };
    case 'rate_limit': {
      const percentage = c.percentage || 80;
      if (!(percentage > 0 && percentage <= 100))
        throw invalid('condition.rate_limit.percentage must be between 0 and 100', 'rule.condition.rate_limit.percentage');
      return { ...c, percentage };
    }
    case 'provider_status_change':
      c.new_statuses.forEach((s) => oneOf('new_statuses', s, PROVIDER_STATUSES));
      return { ...c, new_statuses: [...c.new_statuses] };
    case 'data_quality_issue':
    case 'system_error':
      return { ...c };
  }
}
