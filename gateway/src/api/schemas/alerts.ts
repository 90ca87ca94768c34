import { z } from 'zod';
import { int32, symbol, text, timestamp } from './common';

export const Alert = z
  .object({
    id: z.string(),
    rule_id: z.string(),
    rule_name: z.string(),
    user_id: z.string(),
    alert_type: z.string(),
    condition: z.string(),
    severity: z.string(),
    symbol: z.string(),
    provider: z.string(),
    message: z.string(),
    values: z.record(z.string(), z.number()),
    timestamp: timestamp,
    acknowledged: z.boolean(),
    acknowledged_by: z.string(),
    acknowledged_at: timestamp,
    source_event_id: z.string(),
  })
  .meta({ id: 'Alert' });

export const AlertList = z.object({ alerts: z.array(Alert), count: z.number().int() }).meta({ id: 'AlertList' });

const direction = z.enum(['above', 'below', 'either']);

/** alerting's MAX_WINDOW_SECONDS (services/alerting/src/rules/rule.ts): the 24 h of prices it keeps. */
export const MAX_WINDOW_SECONDS = 86_400;
const windowSeconds = z
  .number()
  .int()
  .min(1)
  .max(MAX_WINDOW_SECONDS, { error: `must be at most ${MAX_WINDOW_SECONDS} (24 h, the longest alerting keeps prices for)` })
  .describe(`Seconds, 1 to ${MAX_WINDOW_SECONDS} (24 h).`);

/** Exactly one key: the rule kind (alerting.proto RuleCondition's oneof case). */
export const RuleCondition = z
  .object({
    price_above: z.object({ price: z.number().positive() }).optional(),
    price_below: z.object({ price: z.number().positive() }).optional(),
    percent_move: z
      .object({ percent: z.number().positive(), window_seconds: windowSeconds, direction: z.enum(['up', 'down', 'either']).optional() })
      .optional(),
    prediction_crossing: z
      .object({ level: z.number(), direction: direction.optional(), horizon_seconds: int32({ min: 0 }).optional() })
      .optional(),
    prediction_interval_exit: z.object({ horizon_seconds: int32({ min: 0 }).optional() }).optional(),
    risk_threshold: z
      .object({
        drawdown_soft_pause: z.number().min(0).max(1).optional(),
        drawdown_hard_stop: z.number().min(0).max(1).optional(),
        daily_loss_soft_pause: z.number().min(0).max(1).optional(),
        daily_loss_hard_stop: z.number().min(0).max(1).optional(),
      })
      .optional(),
    risk_status: z.object({ statuses: z.array(z.enum(['soft_pause', 'hard_stop'])).min(1) }).optional(),
  })
  .refine((c) => Object.values(c).filter((v) => v !== undefined).length === 1, {
    error:
      'name exactly one condition kind (price_above, price_below, percent_move, prediction_crossing, prediction_interval_exit, risk_threshold, risk_status)',
  })
  .meta({ id: 'RuleCondition' });

const SEVERITY = z.enum(['info', 'warning', 'high', 'critical']);

export const RuleCreate = z
  .object({
    name: text(200, { min: 1 }),
    description: text(1000, { multiline: true }).optional(),
    symbol: symbol.optional(),
    severity: SEVERITY.default('warning'),
    enabled: z.boolean().default(true),
    condition: RuleCondition,
    cooldown_seconds: int32({ min: 0 }).optional(),
  })
  .meta({ id: 'AlertRuleCreate' });

export const RuleUpdate = z
  .object({
    name: text(200, { min: 1 }).optional(),
    description: text(1000, { multiline: true }).optional(),
    symbol: symbol.optional(),
    severity: SEVERITY.optional(),
    enabled: z.boolean().optional(),
    condition: RuleCondition.optional(),
    cooldown_seconds: int32({ min: 0 }).optional(),
  })
  .meta({ id: 'AlertRuleUpdate' });

export const Rule = z
  .object({
    id: z.string(),
    user_id: z.string(),
    name: z.string(),
    description: z.string(),
    symbol: z.string(),
    severity: z.string(),
    enabled: z.boolean(),
    system: z.boolean(),
    condition: z
      .record(z.string(), z.record(z.string(), z.unknown()))
      .describe('One key: the rule kind, e.g. {"price_above": {"price": 150}}.'),
    cooldown_seconds: z.number().int(),
    created_at: timestamp,
    updated_at: timestamp,
    last_triggered_at: timestamp,
  })
  .meta({ id: 'AlertRule' });
