import { describe, expect, it } from 'vitest';
import type { Condition, Rule } from '../rules/rule';
import { ACCOUNTS_KEPT, RuleEvaluator } from './evaluator';
import { SUBJECTS_PER_RULE } from './rule_subject_state';

const T0 = Date.parse('2025-01-02T10:00:00Z');
let seq = 0;
function rule(condition: Condition, extra: Partial<Rule> = {}): Rule {
  return {
    id: `r${++seq}`,
    user_id: 'u1',
    name: condition.type,
    description: '',
    symbol: 'AAPL',
    severity: 'warning',
    enabled: true,
    system: false,
    condition,
    cooldown_seconds: 60,
    created_at: '',
    updated_at: '',
    last_triggered_at: undefined,
    ...extra,
  };
}
const evaluator = () => new RuleEvaluator({ defaultCooldownSeconds: 300 });
const price = (p: number, dt = 0, symbol = 'AAPL') => ({ type: 'price' as const, symbol, price: p, at: T0 + dt });
const pred = (id: string, p: number, dt: number, opts: { horizon?: number; lower?: number; upper?: number; spanMs?: number } = {}) => ({
  type: 'prediction' as const,
  id,
  symbol: 'AAPL',
  horizon_seconds: opts.horizon ?? 60,
  predicted_price: p,
  lower: opts.lower ?? p - 5,
  upper: opts.upper ?? p + 5,
  made_at: T0 + dt,
  target_at: T0 + dt + (opts.spanMs ?? 60_000),
  at: T0 + dt,
});

describe('RuleEvaluator: price thresholds', () => {
  it('fires price_above when the price crosses the level upward, once per cooldown', () => {
    const ev = evaluator();
    const r = rule({ type: 'price_above', price: 100 });
    expect(ev.evaluate(price(101), [r]).firings).toHaveLength(0); // no previous price: no crossing seen
    ev.evaluate(price(99, 1), [r]);
    expect(ev.evaluate(price(100, 2), [r]).firings).toHaveLength(0);
    const f = ev.evaluate(price(101, 1000), [r]).firings;
    expect(f).toHaveLength(1);
    expect(f[0].values).toMatchObject({ price: 101, threshold: 100 });
    expect(ev.evaluate(price(102, 2000), [r]).firings).toHaveLength(0); // still above: no new crossing
    ev.evaluate(price(99, 3000), [r]);
    expect(ev.evaluate(price(101, 30_000), [r]).firings).toHaveLength(0); // crossed again within cooldown
    ev.evaluate(price(99, 60_000), [r]);
    expect(ev.evaluate(price(101, 61_001), [r]).firings).toHaveLength(1);
  });

  it('fires price_below downward only, ignoring other symbols and disabled rules', () => {
    const ev = evaluator();
    const r = rule({ type: 'price_below', price: 50 });
    const off = rule({ type: 'price_below', price: 50 }, { enabled: false });
    ev.evaluate(price(55, 0, 'MSFT'), [r, off]);
    expect(ev.evaluate(price(40, 1, 'MSFT'), [r, off]).firings).toHaveLength(0);
    ev.evaluate(price(55, 2), [r, off]);
    expect(ev.evaluate(price(40, 3), [r, off]).firings.map((x) => x.rule.id)).toEqual([r.id]);
  });

  it('uses the service default cooldown when a rule says 0', () => {
    const ev = new RuleEvaluator({ defaultCooldownSeconds: 10 });
    const r = rule({ type: 'price_above', price: 100 }, { cooldown_seconds: 0 });
    const cross = (dt: number) => (ev.evaluate(price(99, dt), [r]), ev.evaluate(price(101, dt + 1), [r]).firings.length);
    expect(cross(0)).toBe(1);
    expect(cross(5_000)).toBe(0);
    expect(cross(11_000)).toBe(1);
  });
});

describe('RuleEvaluator: percent move', () => {
  it('fires when the move happens within the window, not across a longer span', () => {
    const ev = evaluator();
    const r = rule({ type: 'percent_move', percent: 5, window_seconds: 60, direction: 'either' });
    ev.evaluate(price(100, 0), [r]);
    expect(ev.evaluate(price(102, 30_000), [r]).firings).toHaveLength(0);
    expect(ev.evaluate(price(104, 50_000), [r]).firings).toHaveLength(0);
    // At 70 s the 100 has left the window; 106 vs min 102 = +3.9 %.
    expect(ev.evaluate(price(106, 70_000), [r]).firings).toHaveLength(0);
    const f = ev.evaluate(price(108, 80_000), [r]).firings;
    expect(f).toHaveLength(1);
    expect(f[0].values.change_percent).toBeCloseTo(5.882, 2);
  });

  it('respects direction', () => {
    const ev = evaluator();
    const up = rule({ type: 'percent_move', percent: 5, window_seconds: 60, direction: 'up' });
    const down = rule({ type: 'percent_move', percent: 5, window_seconds: 60, direction: 'down' });
    ev.evaluate(price(100, 0), [up, down]);
    const f = ev.evaluate(price(90, 1000), [up, down]).firings;
    expect(f.map((x) => x.rule.id)).toEqual([down.id]);
    expect(f[0].values.change_percent).toBeCloseTo(-10);
  });
});

describe('RuleEvaluator: predictions', () => {
  it('fires prediction_crossing on the crossing only, in the wanted direction', () => {
    const ev = evaluator();
    const either = rule({ type: 'prediction_crossing', level: 150, direction: 'either', horizon_seconds: 0 }, { cooldown_seconds: 1 });
    const above = rule({ type: 'prediction_crossing', level: 150, direction: 'above', horizon_seconds: 0 }, { cooldown_seconds: 1 });
    const ids = (dt: number, p: number) => ev.evaluate(pred(`p${dt}`, p, dt), [either, above]).firings.map((f) => f.rule.id);
    expect(ids(0, 149)).toEqual([]);
    expect(ids(2000, 151)).toEqual([either.id, above.id]);
    expect(ids(4000, 152)).toEqual([]);
    expect(ids(6000, 148)).toEqual([either.id]);
  });

  it('compares predictions of the same horizon only', () => {
    const ev = evaluator();
    const r = rule({ type: 'prediction_crossing', level: 150, direction: 'either', horizon_seconds: 300 });
    ev.evaluate(pred('a', 149, 0, { horizon: 300 }), [r]);
    expect(ev.evaluate(pred('b', 151, 1, { horizon: 60 }), [r]).firings).toHaveLength(0);
    expect(ev.evaluate(pred('c', 151, 2, { horizon: 300 }), [r]).firings).toHaveLength(1);
  });

  it('fires prediction_interval_exit once per prediction when the price leaves its interval', () => {
    const ev = evaluator();
    const r = rule({ type: 'prediction_interval_exit', horizon_seconds: 0 }, { cooldown_seconds: 1 });
    expect(ev.evaluate(price(200), [r]).firings).toHaveLength(0); // no prediction yet
    ev.evaluate(pred('p1', 100, 0), [r]);
    expect(ev.evaluate(price(104, 1), [r]).firings).toHaveLength(0);
    const f = ev.evaluate(price(106, 2), [r]).firings;
    expect(f).toHaveLength(1);
    expect(f[0].values).toMatchObject({ lower: 95, upper: 105 });
    expect(ev.evaluate(price(107, 3000), [r]).firings).toHaveLength(0); // same prediction: already reported
    ev.evaluate(pred('p2', 100, 4000), [r]);
    expect(ev.evaluate(price(90, 6000), [r]).firings[0].message).toContain('below');
    // After the prediction's target time it no longer covers the price.
    expect(ev.evaluate(price(300, 200_000), [r]).firings).toHaveLength(0);
  });
});

describe('RuleEvaluator: risk', () => {
  const eq = (current: number, dt: number, peak = 10_000) => ({
    type: 'equity' as const,
    subject: 'acct-1',
    owner: '',
    peak_equity: peak,
    current_equity: current,
    at: T0 + dt,
  });
  const threshold = (c: Partial<Extract<Condition, { type: 'risk_threshold' }>>) =>
    rule(
      { type: 'risk_threshold', drawdown_soft_pause: 0, drawdown_hard_stop: 0, daily_loss_soft_pause: 0, daily_loss_hard_stop: 0, ...c },
      { symbol: '' },
    );

  it('moves through soft pause and hard stop, alerting on each escalation', () => {
    const ev = evaluator();
    const r = threshold({ drawdown_soft_pause: 0.04, drawdown_hard_stop: 0.08 });
    expect(ev.evaluate(eq(9700, 0), [r]).firings).toHaveLength(0);
    const soft = ev.evaluate(eq(9600, 1), [r]);
    expect(soft.firings).toHaveLength(1);
    expect(soft.firings[0].severity).toBe('warning');
    expect(soft.riskChanges[0]).toMatchObject({ status: 'soft_pause', drawdown_pct: 0.04 });
    expect(ev.evaluate(eq(9500, 2), [r]).firings).toHaveLength(0);
    const hard = ev.evaluate(eq(9200, 3), [r]);
    expect(hard.firings[0].severity).toBe('critical');
    expect(hard.riskChanges[0].status).toBe('hard_stop');
    const back = ev.evaluate(eq(9900, 4), [r]);
    expect(back.firings).toHaveLength(0);
    expect(back.riskChanges[0]).toMatchObject({ status: 'normal', previous: 'hard_stop' });
  });

  it("undoes what an evaluation changed in the rules' state, so an event that is dead-lettered changes nothing", () => {
    const ev = evaluator();
    const r = threshold({ drawdown_soft_pause: 0.04, drawdown_hard_stop: 0.08 });
    ev.evaluate(eq(9700, 0), [r]);
    const hard = ev.evaluate(eq(9000, 1), [r]);
    expect(hard.riskChanges[0]).toMatchObject({ status: 'hard_stop', previous: 'normal' });
    // Its alert could not be stored: the rule is not in hard stop, so the next such equity alerts.
    hard.undo();
    const again = ev.evaluate(eq(9000, 2), [r]);
    expect(again.riskChanges[0]).toMatchObject({ status: 'hard_stop', previous: 'normal' });
    expect(again.firings).toHaveLength(1);

    const p = rule({ type: 'price_above', price: 100 });
    ev.evaluate(price(99, 0), [p]);
    const fired = ev.evaluate(price(101, 1000), [p]);
    expect(fired.firings).toHaveLength(1);
    fired.undo();
    ev.evaluate(price(99, 2000), [p]);
    // Within the 60 s cooldown the crossing fired in, had that firing counted.
    expect(ev.evaluate(price(101, 3000), [p]).firings).toHaveLength(1);

    // What an evaluation made while the first's alerts were being stored is not undone with it.
    const r2 = threshold({ drawdown_soft_pause: 0.04, drawdown_hard_stop: 0.08 });
    ev.evaluate(eq(9500, 10), [r2]);
    const first = ev.evaluate(eq(9000, 11), [r2]);
    expect(first.riskChanges[0]).toMatchObject({ status: 'hard_stop', previous: 'soft_pause' });
    expect(ev.evaluate(eq(9900, 12), [r2]).riskChanges[0]).toMatchObject({ status: 'normal', previous: 'hard_stop' });
    first.undo();
    expect(ev.evaluate(eq(9900, 13), [r2]).riskChanges).toEqual([]);
  });

  it('measures daily loss from the first equity of the day', () => {
    const ev = evaluator();
    const r = threshold({ daily_loss_soft_pause: 0.03 });
    ev.evaluate(eq(20_000, 0, 20_000), [r]);
    expect(ev.evaluate(eq(19_500, 1, 20_000), [r]).firings).toHaveLength(0);
    expect(ev.evaluate(eq(19_400, 2, 20_000), [r]).firings[0].values.daily_loss_pct).toBeCloseTo(0.03);
  });

  it('reads thresholds from external risk_status_update and fires risk_status rules', () => {
    const ev = evaluator();
    const r = threshold({ drawdown_hard_stop: 0.1 });
    const st = rule({ type: 'risk_status', statuses: ['hard_stop'] }, { symbol: '' });
    const risk = (status: string, dd: number) => ({
      type: 'risk_status' as const,
      subject: 'engine',
      status,
      message: 'm',
      drawdown_pct: dd,
      daily_loss_pct: 0,
      at: T0,
    });
    expect(ev.evaluate(risk('soft_pause', 0.05), [r, st]).firings).toHaveLength(0);
    const f = ev.evaluate(risk('hard_stop', 0.12), [r, st]).firings;
    expect(f.map((x) => x.rule.id).sort()).toEqual([r.id, st.id].sort());
  });
});

describe('RuleEvaluator: system rules', () => {
  it('filters by provider, status, percentage, issue kind and service', () => {
    const ev = evaluator();
    const opts = { symbol: '', cooldown_seconds: 1, system: true, user_id: '' };
    const rl = rule({ type: 'rate_limit', percentage: 90, provider: '' }, opts);
    const st = rule({ type: 'provider_status_change', provider: 'coingecko', new_statuses: ['offline'] }, opts);
    const dq = rule({ type: 'data_quality_issue', kind: 'gap' }, opts);
    const se = rule({ type: 'system_error', service: 'prediction' }, opts);
    const rules = [rl, st, dq, se];
    const at = T0;
    const n = (s: Parameters<RuleEvaluator['evaluate']>[0]) => ev.evaluate(s, rules).firings;
    expect(n({ type: 'rate_limit', provider: 'p', used: 8, limit: 10, percentage: 80, at })).toHaveLength(0);
    expect(n({ type: 'rate_limit', provider: 'p', used: 9, limit: 10, percentage: 90, at })).toHaveLength(1);
    expect(n({ type: 'provider_status', provider: 'coingecko', old_status: 'online', new_status: 'degraded', at })).toHaveLength(0);
    const off = n({ type: 'provider_status', provider: 'coingecko', old_status: 'degraded', new_status: 'offline', at });
    expect(off).toHaveLength(1);
    expect(off[0]).toMatchObject({ severity: 'high', provider: 'coingecko' });
    expect(n({ type: 'data_quality', symbol: 'AAPL', provider: 'sim', kind: 'outlier', detail: '', at })).toHaveLength(0);
    expect(n({ type: 'data_quality', symbol: 'AAPL', provider: 'sim', kind: 'gap', detail: '5s', at })).toHaveLength(1);
    expect(n({ type: 'system_error', service: 'gateway', code: 'E1', message: 'boom', at })).toHaveLength(0);
    expect(n({ type: 'system_error', service: 'prediction', code: 'E1', message: 'boom', at })[0].message).toContain('prediction');
  });

  it('keeps cooldowns per provider for rules that watch every provider', () => {
    const ev = evaluator();
    const st = rule({ type: 'provider_status_change', provider: '', new_statuses: [] }, { symbol: '', cooldown_seconds: 300 });
    const change = (provider: string) => ({
      type: 'provider_status' as const,
      provider,
      old_status: 'online',
      new_status: 'degraded',
      at: T0,
    });
    expect(ev.evaluate(change('a'), [st]).firings).toHaveLength(1);
    expect(ev.evaluate(change('b'), [st]).firings).toHaveLength(1);
    expect(ev.evaluate(change('a'), [st]).firings).toHaveLength(0);
  });
});

describe('RuleEvaluator: state a publisher chooses the keys of stays bounded', () => {
  const held = (ev: RuleEvaluator) =>
    ev as unknown as { riskStatus: { size: number }; moved: { size: number }; dayStart: { size: number }; cooldowns: { size: number } };

  it('keeps at most SUBJECTS_PER_RULE cooldowns per rule, forgetting the subject fired longest ago', () => {
    const ev = evaluator();
    const se = rule({ type: 'system_error', service: '' }, { symbol: '' });
    const error = (code: string, dt: number) => ({ type: 'system_error' as const, service: 'svc', code, message: 'boom', at: T0 + dt });
    for (let i = 0; i < SUBJECTS_PER_RULE + 500; i++) ev.evaluate(error(`E${i}`, i), [se]);
    expect(held(ev).cooldowns.size).toBe(SUBJECTS_PER_RULE);
    // The newest subject is still cooling down; the oldest was forgotten, so it may alert again.
    expect(ev.evaluate(error(`E${SUBJECTS_PER_RULE + 499}`, SUBJECTS_PER_RULE + 600), [se]).firings).toHaveLength(0);
    expect(ev.evaluate(error('E0', SUBJECTS_PER_RULE + 600), [se]).firings).toHaveLength(1);
    ev.forgetRule(se.id);
    expect(held(ev).cooldowns.size).toBe(0);
  });

  it('keeps a day start for at most ACCOUNTS_KEPT accounts, and a risk status only while it is not normal', () => {
    const ev = evaluator();
    const r = rule(
      { type: 'risk_threshold', drawdown_soft_pause: 0.5, drawdown_hard_stop: 0, daily_loss_soft_pause: 0, daily_loss_hard_stop: 0 },
      { symbol: '' },
    );
    const equity = (subject: string, current: number) => ({
      type: 'equity' as const,
      subject,
      owner: 'mallory',
      peak_equity: 100,
      current_equity: current,
      at: T0,
    });
    for (let i = 0; i < ACCOUNTS_KEPT + 1000; i++) ev.evaluate(equity(`acct-${i}`, 100), []);
    expect(held(ev).dayStart.size).toBe(ACCOUNTS_KEPT);
    expect(held(ev).riskStatus.size).toBe(0);
    expect(ev.evaluate(equity('acct-x', 40), [r]).riskChanges[0]).toMatchObject({ status: 'soft_pause' });
    expect(held(ev).riskStatus.size).toBe(1);
    expect(ev.evaluate(equity('acct-x', 90), [r]).riskChanges[0]).toMatchObject({ status: 'normal', previous: 'soft_pause' });
    expect(held(ev).riskStatus.size).toBe(0);
  });
});
