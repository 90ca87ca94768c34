import { OrderedMap } from '@marketpulse/runtime';
import { MAX_WINDOW_SECONDS, type Condition, type Rule, type Severity } from '../rules/rule';
import { RecentIds } from '../recent_ids';
import { Cooldowns } from './cooldown';
import { RuleSubjectState } from './rule_subject_state';
import { PriceWindow } from './price_window';
import { RuleIndex, type RuleCandidates } from './rule_index';
import type { Signal } from './signal';

export type RiskStatus = 'normal' | 'soft_pause' | 'hard_stop';

export interface RiskStatusChange {
  rule: Rule;
  subject: string;
  status: RiskStatus;
  previous: RiskStatus;
  message: string;
  drawdown_pct: number;
  daily_loss_pct: number;
  at: number;
}

export interface Firing {
  rule: Rule;
  /** What the alert is about: the symbol, provider, equity subject or failing service. */
  subject: string;
  symbol: string;
  provider: string;
  severity: Severity;
  message: string;
  values: Record<string, number>;
  at: number;
  /** Set for risk_threshold rules: the risk status the equity moved into. */
  risk?: RiskStatusChange;
}

export interface Evaluation {
  firings: Firing[];
  /** Every risk status change of a risk_threshold rule, including a return to normal (no alert). */
  riskChanges: RiskStatusChange[];
  /** Rules whose condition was checked against the signal: the candidates its kind and key allow. */
  rulesTried: number;
  /**
   * Puts the rules' state (cooldowns, risk statuses, excursions, interval exits) back as it was
   * before this evaluation: for an event whose alerts could not be stored and that goes to the
   * dead-letter topic, so it changes nothing it did not record. Prices and predictions seen stay.
   */
  undo(): void;
}

/** The service default when a rule says 0. */
export interface EvaluatorOptions {
  defaultCooldownSeconds: number;
}

type Of<T extends Condition['type']> = Extract<Condition, { type: T }>;
type PredictionSignal = Extract<Signal, { type: 'prediction' }>;

const RISK_RANK: Record<RiskStatus, number> = { normal: 0, soft_pause: 1, hard_stop: 2 };
const RISK_MESSAGES: Record<RiskStatus, string> = {
  normal: 'Risk back within limits. New positions may be opened again.',
  soft_pause: 'New position openings stopped. Existing positions remain open.',
  hard_stop: 'Trading halted. All positions should be closed.',
};
/** Rules stored with a longer window, before validation refused one, are answered over this much. */
const MAX_WINDOW_MS = MAX_WINDOW_SECONDS * 1000;
/**
 * Equity accounts whose day start is kept, the one updated longest ago forgotten first: an
 * account is the publisher's choice (owner and subject), and every equity update made one, with or
 * without a rule. A forgotten account's day starts again at its next update.
 */
export const ACCOUNTS_KEPT = 50_000;
const PREDICTIONS_KEPT = 64;

/**
 * Evaluates rules on signals. Every condition fires on a transition (a price crossing its level,
 * a move reaching its size, a price leaving an interval, a status change) and, in addition, at
 * most once per cooldown per (rule, subject), so a condition that flaps cannot flood.
 * State lives in memory; a restart starts fresh (the engine seeds cooldowns from history).
 */
export class RuleEvaluator {
  readonly cooldowns = new Cooldowns();
  private readonly lastPrice = new Map<string, number>();
  private readonly windows = new Map<string, PriceWindow>();
  /** symbol|horizon -> last predicted price, for crossings. */
  private readonly lastPredicted = new Map<string, number>();
  /** symbol -> recent predictions, newest last, for interval exits. */
  private readonly predictions = new Map<string, PredictionSignal[]>();
  /** rule id -> prediction ids whose interval it already reported leaving. */
  private readonly exited = new Map<string, RecentIds>();
  /** (rule, symbol) pairs whose percent move was already reported for the current excursion. */
  private readonly moved = new RuleSubjectState<true>();
  /** Each (rule, subject)'s risk status; `normal`, the start, is not kept. */
  private readonly riskStatus = new RuleSubjectState<RiskStatus>();
  private readonly dayStart = new OrderedMap<string, { day: string; equity: number }>();

  /** How to undo each change the current evaluation made to the rules' state. */
  private journal: (() => void)[] = [];

  constructor(private readonly options: EvaluatorOptions) {}

  /*
   * Each undo step puts back what was there only while the state still holds what this evaluation
   * left: an event evaluated while this one's alerts were being stored may have moved it on since
   * (one that moved it away and back again is not told apart).
   */
  private markFired(ruleId: string, subject: string, at: number): void {
    const prev = this.cooldowns.markFired(ruleId, subject, at);
    this.journal.push(() => {
      if (this.cooldowns.lastFiredAt(ruleId, subject) === at) this.cooldowns.restore(ruleId, subject, prev);
    });
  }

  /** Sets (or with `undefined` deletes) a rule's state for a subject, journalled. */
  private change<V>(state: RuleSubjectState<V>, ruleId: string, subject: string, value: V | undefined): void {
    const prev = state.get(ruleId, subject);
    if (value === undefined) state.delete(ruleId, subject);
    else state.set(ruleId, subject, value);
    this.journal.push(() => {
      if (state.get(ruleId, subject) !== value) return;
      if (prev === undefined) state.delete(ruleId, subject);
      else state.set(ruleId, subject, prev);
    });
  }

  /**
   * `rules`: the rule set's index, built when the set changes; a plain list is indexed on the spot
   * (for a caller evaluating once), which costs what trying every rule did.
   */
  evaluate(signal: Signal, rules: RuleCandidates | readonly Rule[]): Evaluation {
    const journal: (() => void)[] = [];
    this.journal = journal;
    const active = ('forSignal' in rules ? rules : RuleIndex.build(rules)).forSignal(signal);
    const out: Evaluation = {
      firings: [],
      riskChanges: [],
      rulesTried: 0,
      undo: () =>
        journal
          .splice(0)
          .reverse()
          .forEach((step) => step()),
    };
    switch (signal.type) {
      case 'price':
        this.onPrice(signal, active, out);
        break;
      case 'prediction':
        this.onPrediction(signal, active, out);
        break;
      case 'equity':
      case 'risk_status':
        this.onRisk(signal, active, out);
        break;
      default:
        this.onSystem(signal, active, out);
    }
    return out;
  }

  /** Drop state that belongs to a rule that was deleted or changed. */
  forgetRule(ruleId: string): void {
    this.cooldowns.forget(ruleId);
    this.exited.delete(ruleId);
    this.riskStatus.forgetRule(ruleId);
    this.moved.forgetRule(ruleId);
  }

  private cooldownOf(rule: Rule): number {
    return rule.cooldown_seconds > 0 ? rule.cooldown_seconds : this.options.defaultCooldownSeconds;
  }

  private fire(out: Evaluation, f: Firing): boolean {
    if (!this.cooldowns.ready(f.rule.id, f.subject, this.cooldownOf(f.rule), f.at)) return false;
    this.markFired(f.rule.id, f.subject, f.at);
    out.firings.push(f);
    return true;
  }

  private onPrice(s: Extract<Signal, { type: 'price' }>, rules: readonly Rule[], out: Evaluation): void {
    const mine = rules.filter((r) => r.symbol === s.symbol);
    out.rulesTried = rules.length;
    const prev = this.lastPrice.get(s.symbol);
    this.lastPrice.set(s.symbol, s.price);

    const windowRules = mine.filter((r) => r.condition.type === 'percent_move');
    let window = this.windows.get(s.symbol);
    if (windowRules.length) {
      if (!window) this.windows.set(s.symbol, (window = new PriceWindow()));
      let keep = -Infinity;
      for (const r of windowRules) keep = Math.max(keep, (r.condition as Of<'percent_move'>).window_seconds * 1000);
      window.add(s.at, s.price, Math.min(MAX_WINDOW_MS, keep));
    }

    for (const rule of mine) {
      const c = rule.condition;
      const base = { rule, subject: s.symbol, symbol: s.symbol, provider: '', severity: rule.severity, at: s.at };
      if (c.type === 'price_above' && prev !== undefined && prev <= c.price && s.price > c.price) {
        this.fire(out, {
          ...base,
          message: `${s.symbol} rose above ${c.price} (now ${s.price})`,
          values: { price: s.price, threshold: c.price, previous_price: prev },
        });
      } else if (c.type === 'price_below' && prev !== undefined && prev >= c.price && s.price < c.price) {
        this.fire(out, {
          ...base,
          message: `${s.symbol} fell below ${c.price} (now ${s.price})`,
          values: { price: s.price, threshold: c.price, previous_price: prev },
        });
      } else if (c.type === 'percent_move' && window) {
        this.percentMove(rule, c, window, s, base, out);
      } else if (c.type === 'prediction_interval_exit') {
        this.intervalExit(rule, c, s, base, out);
      }
    }
  }

  private percentMove(
    rule: Rule,
    c: Of<'percent_move'>,
    window: PriceWindow,
    s: Extract<Signal, { type: 'price' }>,
    base: Omit<Firing, 'message' | 'values'>,
    out: Evaluation,
  ): void {
    const range = window.range(s.at, c.window_seconds * 1000);
    if (!range) return;
    const up = ((s.price - range.min) / range.min) * 100;
    const down = ((range.max - s.price) / range.max) * 100;
    const movedUp = c.direction !== 'down' && up >= c.percent;
    const movedDown = c.direction !== 'up' && down >= c.percent;
    if (!movedUp && !movedDown) {
      if (this.moved.get(rule.id, s.symbol)) this.change(this.moved, rule.id, s.symbol, undefined);
      return;
    }
    // One alert per excursion: the move must fall back under the size before it can fire again.
    if (this.moved.get(rule.id, s.symbol)) return;
    this.change(this.moved, rule.id, s.symbol, true);
    const change = movedUp && (!movedDown || up >= down) ? up : -down;
    this.fire(out, {
      ...base,
      message: `${s.symbol} ${change > 0 ? 'rose' : 'fell'} ${Math.abs(change).toFixed(2)}% within ${c.window_seconds}s (now ${s.price})`,
      values: { price: s.price, change_percent: round(change), percent: c.percent, window_seconds: c.window_seconds },
    });
  }

  private intervalExit(
    rule: Rule,
    c: Of<'prediction_interval_exit'>,
    s: Extract<Signal, { type: 'price' }>,
    base: Omit<Firing, 'message' | 'values'>,
    out: Evaluation,
  ): void {
    const list = this.predictions.get(s.symbol) ?? [];
    // The newest prediction of the wanted horizon whose span covers this tick.
    let covering: PredictionSignal | undefined;
    for (let i = list.length - 1; i >= 0 && !covering; i--) {
      const p = list[i];
      if (c.horizon_seconds && p.horizon_seconds !== c.horizon_seconds) continue;
      if (s.at >= p.made_at && (p.target_at === undefined || s.at <= p.target_at)) covering = p;
    }
    if (!covering || (s.price >= covering.lower && s.price <= covering.upper)) return;
    let done = this.exited.get(rule.id);
    if (!done) this.exited.set(rule.id, (done = new RecentIds(PREDICTIONS_KEPT * 4)));
    if (!done.firstSighting(covering.id)) return;
    const exits = done;
    const exitedId = covering.id;
    this.journal.push(() => exits.forget(exitedId));
    const side = s.price > covering.upper ? 'above' : 'below';
    this.fire(out, {
      ...base,
      message: `${s.symbol} price ${s.price} left the predicted interval [${covering.lower}, ${covering.upper}] (${side})`,
      values: { price: s.price, lower: covering.lower, upper: covering.upper, predicted_price: covering.predicted_price },
    });
  }

  private onPrediction(s: PredictionSignal, rules: readonly Rule[], out: Evaluation): void {
    const list = this.predictions.get(s.symbol) ?? [];
    list.push(s);
    if (list.length > PREDICTIONS_KEPT) list.shift();
    this.predictions.set(s.symbol, list);

    const key = `${s.symbol}|${s.horizon_seconds}`;
    const prev = this.lastPredicted.get(key);
    this.lastPredicted.set(key, s.predicted_price);
    if (prev === undefined) return;
    out.rulesTried = rules.length;
    for (const rule of rules) {
      const c = rule.condition;
      if (c.type !== 'prediction_crossing' || rule.symbol !== s.symbol) continue;
      if (c.horizon_seconds && c.horizon_seconds !== s.horizon_seconds) continue;
      const up = prev <= c.level && s.predicted_price > c.level;
      const down = prev >= c.level && s.predicted_price < c.level;
      if (!((up && c.direction !== 'below') || (down && c.direction !== 'above'))) continue;
      this.fire(out, {
        rule,
        subject: s.symbol,
        symbol: s.symbol,
        provider: '',
        severity: rule.severity,
        at: s.at,
        message: `${s.symbol} predicted price (${s.horizon_seconds}s) crossed ${up ? 'above' : 'below'} ${c.level}: ${prev} -> ${s.predicted_price}`,
        values: { predicted_price: s.predicted_price, previous_predicted_price: prev, level: c.level, horizon_seconds: s.horizon_seconds },
      });
    }
  }

  private onRisk(s: Extract<Signal, { type: 'equity' | 'risk_status' }>, rules: readonly Rule[], out: Evaluation): void {
    let drawdown: number;
    let dailyLoss: number;
    if (s.type === 'equity') {
      const day = new Date(s.at).toISOString().slice(0, 10);
      // One account's day: an owned equity stream never shares its start with another user's (or the system's) of the same subject.
      const account = `${s.owner}\u0000${s.subject}`;
      let start = this.dayStart.get(account);
      if (!start || start.day !== day) start = { day, equity: s.current_equity };
      this.dayStart.set(account, start);
      if (this.dayStart.size > ACCOUNTS_KEPT) this.dayStart.delete(this.dayStart.oldestKey()!);
      const peak = Math.max(s.peak_equity, s.current_equity);
      drawdown = peak > 0 ? Math.max(0, (peak - s.current_equity) / peak) : 0;
      dailyLoss = start.equity > 0 ? Math.max(0, (start.equity - s.current_equity) / start.equity) : 0;
    } else {
      drawdown = s.drawdown_pct;
      dailyLoss = s.daily_loss_pct;
    }

    out.rulesTried = rules.length;
    for (const rule of rules) {
      const c = rule.condition;
      if (rule.symbol && rule.symbol !== s.subject.toUpperCase()) continue;
      const base = { rule, subject: s.subject, symbol: rule.symbol, provider: '', at: s.at };
      if (c.type === 'risk_status' && s.type === 'risk_status') {
        const wanted = c.statuses.length ? c.statuses : ['soft_pause', 'hard_stop'];
        if (!wanted.includes(s.status)) continue;
        this.fire(out, {
          ...base,
          severity: s.status === 'hard_stop' ? 'critical' : s.status === 'soft_pause' ? 'warning' : rule.severity,
          message: `Risk status ${s.status}${s.subject ? ` (${s.subject})` : ''}: ${s.message}`,
          values: { drawdown_pct: s.drawdown_pct, daily_loss_pct: s.daily_loss_pct },
        });
        continue;
      }
      if (c.type !== 'risk_threshold') continue;
      const over = (value: number, limit: number) => limit > 0 && value >= limit;
      const status: RiskStatus =
        over(drawdown, c.drawdown_hard_stop) || over(dailyLoss, c.daily_loss_hard_stop)
          ? 'hard_stop'
          : over(drawdown, c.drawdown_soft_pause) || over(dailyLoss, c.daily_loss_soft_pause)
            ? 'soft_pause'
            : 'normal';
      const previous = this.riskStatus.get(rule.id, s.subject) ?? 'normal';
      if (status === previous) continue;
      this.change(this.riskStatus, rule.id, s.subject, status === 'normal' ? undefined : status);
      const change: RiskStatusChange = {
        rule,
        subject: s.subject,
        status,
        previous,
        message: RISK_MESSAGES[status],
        drawdown_pct: round(drawdown),
        daily_loss_pct: round(dailyLoss),
        at: s.at,
      };
      out.riskChanges.push(change);
      if (RISK_RANK[status] <= RISK_RANK[previous]) continue;
      // Escalations always alert: each is a distinct transition, so no cooldown hides one.
      this.markFired(rule.id, s.subject, s.at);
      out.firings.push({
        ...base,
        severity: status === 'hard_stop' ? 'critical' : 'warning',
        message: `${status === 'hard_stop' ? 'Hard stop' : 'Soft pause'}${s.subject ? ` (${s.subject})` : ''}: drawdown ${(drawdown * 100).toFixed(2)}%, daily loss ${(dailyLoss * 100).toFixed(2)}%. ${change.message}`,
        values: {
          drawdown_pct: change.drawdown_pct,
          daily_loss_pct: change.daily_loss_pct,
          ...(s.type === 'equity' ? { current_equity: s.current_equity } : {}),
        },
        risk: change,
      });
    }
  }

  private onSystem(
    s: Extract<Signal, { type: 'rate_limit' | 'provider_status' | 'data_quality' | 'system_error' }>,
    rules: readonly Rule[],
    out: Evaluation,
  ): void {
    out.rulesTried = rules.length;
    for (const rule of rules) {
      const c = rule.condition;
      const base = { rule, severity: rule.severity, at: s.at };
      if (s.type === 'rate_limit' && c.type === 'rate_limit') {
        if ((c.provider && c.provider !== s.provider) || s.percentage < c.percentage) continue;
        this.fire(out, {
          ...base,
          subject: s.provider,
          symbol: '',
          provider: s.provider,
          severity: s.percentage >= 95 ? maxSeverity(rule.severity, 'high') : rule.severity,
          message: `Provider ${s.provider} is at ${s.percentage.toFixed(1)}% of its rate limit (${s.used}/${s.limit})`,
          values: { used: s.used, limit: s.limit, percentage: round(s.percentage) },
        });
      } else if (s.type === 'provider_status' && c.type === 'provider_status_change') {
        if (c.provider && c.provider !== s.provider) continue;
        if (c.new_statuses.length && !c.new_statuses.includes(s.new_status)) continue;
        this.fire(out, {
          ...base,
          subject: s.provider,
          symbol: '',
          provider: s.provider,
          severity: s.new_status === 'offline' ? maxSeverity(rule.severity, 'high') : rule.severity,
          message: `Provider ${s.provider} changed status: ${s.old_status} -> ${s.new_status}`,
          values: {},
        });
      } else if (s.type === 'data_quality' && c.type === 'data_quality_issue') {
        if ((rule.symbol && rule.symbol !== s.symbol) || (c.kind && c.kind !== s.kind)) continue;
        this.fire(out, {
          ...base,
          subject: `${s.symbol}|${s.kind}`,
          symbol: s.symbol,
          provider: s.provider,
          message: `Data quality issue on ${s.symbol}: ${s.kind}${s.detail ? ` (${s.detail})` : ''}`,
          values: {},
        });
      } else if (s.type === 'system_error' && c.type === 'system_error') {
        if (c.service && c.service !== s.service) continue;
        this.fire(out, {
          ...base,
          subject: `${s.service}|${s.code}`,
          symbol: '',
          provider: '',
          message: `System error in ${s.service}${s.code ? ` [${s.code}]` : ''}: ${s.message}`,
          values: {},
        });
      }
    }
  }
}

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, high: 2, critical: 3 };
function maxSeverity(a: Severity, b: Severity): Severity {
  return SEVERITY_RANK[a] >= SEVERITY_RANK[b] ? a : b;
}
function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
