import type { events } from '@marketpulse/proto';
import { eventTimeProblem, ownerOfEvent, PRICE_MAX, quote, TIMESTAMP_MAX, unprocessableRecord } from '@marketpulse/runtime';
import type { Signal } from './signal';

/** Event types the evaluator listens to. */
export const WATCHED_EVENT_TYPES = [
  'market_data_update',
  'prediction_complete',
  'equity_update',
  'risk_status_update',
  'rate_limit_alert',
  'provider_status_change',
  'data_quality_issue',
  'system_error',
] as const;

/**
 * When the event says something happened: `fallback` when it says nothing readable. A time before
 * 1970 or ahead of this clock sets the event aside (dead letter): a tick dated 2100 stored an alert
 * of 2100 and held the rule's cooldown, and so its alerts, until then.
 */
const time = (iso: string | undefined, fallback: number, now: number) => {
  const t = iso ? Date.parse(iso) : NaN;
  if (!Number.isFinite(t)) return fallback;
  const problem = eventTimeProblem(t, now);
  if (problem) throw unprocessableRecord('EVENT_TIME_IMPLAUSIBLE', `the event's time ${quote(iso)} ${problem}`);
  return t;
};
/** A forecast's target lies ahead by its horizon: only bounded by what a store can hold. */
const targetTime = (iso: string, made: number) => {
  const t = Date.parse(iso);
  return Number.isFinite(t) && t <= TIMESTAMP_MAX ? t : made;
};
/** A traded price: 0, negative or past PRICE_MAX fired nonsense (a tick of 0 was a "fall of 100 %"). */
const price = (value: number) => {
  if (!(value > 0 && value <= PRICE_MAX))
    throw unprocessableRecord('TICK_MALFORMED', `a market_data_update needs a price above 0 and at most ${PRICE_MAX} (got ${value})`);
  return value;
};
/** A forecast's figures, which a falling trend may take below 0: NaN bounds fired "left the interval [NaN, NaN]". */
const forecast = (value: number) => {
  if (!(Math.abs(value) <= PRICE_MAX))
    throw unprocessableRecord('PREDICTION_MALFORMED', `a prediction_complete needs finite figures of at most ${PRICE_MAX} (got ${value})`);
  return value;
};
const num = (s: string) => {
  const n = Number(s);
  return Number.isFinite(n) ? n : 0;
};

/**
 * The signal an event carries, or undefined when it carries none this service evaluates.
 * `self` is this service's name: risk status updates it published itself are not evaluated again.
 */
export function signalFromEvent(e: events.Event, self: string, now = Date.now()): Signal | undefined {
  const at = time(e.time, now, now);
  const p = e.payload;
  switch (p?.$case) {
    case 'market_data_update': {
      const t = p.market_data_update;
      return {
        type: 'price',
        symbol: (t.symbol || e.subject).toUpperCase(),
        price: price(t.price),
        at: time(t.timestamp, at, now),
      };
    }
    case 'prediction_complete': {
      const x = p.prediction_complete;
      const made = time(x.timestamp, at, now);
      const predicted = forecast(x.predicted_price);
      return {
        type: 'prediction',
        id: x.id || e.id,
        symbol: (x.symbol || e.subject).toUpperCase(),
        horizon_seconds: x.horizon_seconds,
        predicted_price: predicted,
        lower: x.interval ? forecast(x.interval.lower) : predicted,
        upper: x.interval ? forecast(x.interval.upper) : predicted,
        made_at: made,
        target_at: x.target_time ? targetTime(x.target_time, made) : undefined,
        at: made,
      };
    }
    case 'equity_update': {
      const x = p.equity_update;
      const current = num(x.current_equity || x.total_equity);
      return { type: 'equity', subject: e.subject, owner: ownerOfEvent(e), peak_equity: num(x.peak_equity), current_equity: current, at };
    }
    case 'risk_status_update': {
      if (e.source === self) return undefined;
      const x = p.risk_status_update;
      return {
        type: 'risk_status',
        subject: e.subject,
        status: x.status,
        message: x.message,
        drawdown_pct: num(x.drawdown_pct),
        daily_loss_pct: num(x.daily_loss_pct),
        at,
      };
    }
    case 'rate_limit_alert': {
      const x = p.rate_limit_alert;
      return { type: 'rate_limit', provider: x.provider || e.subject, used: x.used, limit: x.limit, percentage: x.percentage, at };
    }
    case 'provider_status_change': {
      const x = p.provider_status_change;
      return { type: 'provider_status', provider: x.provider || e.subject, old_status: x.old_status, new_status: x.new_status, at };
    }
    case 'data_quality_issue': {
      const x = p.data_quality_issue;
      return {
        type: 'data_quality',
        symbol: (x.symbol || e.subject).toUpperCase(),
        provider: x.provider,
        kind: x.kind,
        detail: x.detail,
        at,
      };
    }
    case 'system_error': {
      const x = p.system_error;
      return { type: 'system_error', service: x.service || e.source, code: x.code, message: x.message, at: time(x.timestamp, at, now) };
    }
    default:
      return undefined;
  }
}
