import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Condition, Rule } from '../rules/rule';
import { ACCOUNTS_KEPT, RuleEvaluator, type Evaluation } from './evaluator';
import { RuleIndex, type RuleCandidates } from './rule_index';
import { SUBJECTS_PER_RULE } from './rule_subject_state';
import type { Signal } from './signal';

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

describe('RuleEvaluator: the rule index', () => {
  /** The reference: every enabled rule offered on every signal, as evaluation worked before the index. */
  const everyRule = (rules: readonly Rule[]): RuleCandidates => ({ forSignal: () => rules.filter((r) => r.enabled) });

  const SYMBOLS = ['AAPL', 'MSFT', 'aapl', ''] as const;
  const level = fc.integer({ min: 97, max: 103 });
  const limit = fc.constantFrom(0, 0.02, 0.05, 0.1);
  const conditionArb: fc.Arbitrary<Condition> = fc.oneof(
    fc.record({ type: fc.constant('price_above' as const), price: level }),
    fc.record({ type: fc.constant('price_below' as const), price: level }),
    fc.record({
      type: fc.constant('percent_move' as const),
      percent: fc.constantFrom(1, 2, 4),
      window_seconds: fc.constantFrom(1, 5, 30),
      direction: fc.constantFrom('up' as const, 'down' as const, 'either' as const),
    }),
    fc.record({
      type: fc.constant('prediction_crossing' as const),
      level,
      direction: fc.constantFrom('above' as const, 'below' as const, 'either' as const),
      horizon_seconds: fc.constantFrom(0, 60, 300),
    }),
    fc.record({ type: fc.constant('prediction_interval_exit' as const), horizon_seconds: fc.constantFrom(0, 60) }),
    fc.record({
      type: fc.constant('risk_threshold' as const),
      drawdown_soft_pause: limit,
      drawdown_hard_stop: limit,
      daily_loss_soft_pause: limit,
      daily_loss_hard_stop: limit,
    }),
    fc.record({ type: fc.constant('risk_status' as const), statuses: fc.subarray(['normal', 'soft_pause', 'hard_stop']) }),
    fc.record({ type: fc.constant('rate_limit' as const), percentage: fc.constantFrom(50, 90), provider: fc.constantFrom('', 'p1', 'p2') }),
    fc.record({
      type: fc.constant('provider_status_change' as const),
      provider: fc.constantFrom('', 'p1', 'p2'),
      new_statuses: fc.subarray(['online', 'degraded', 'offline']),
    }),
    fc.record({ type: fc.constant('data_quality_issue' as const), kind: fc.constantFrom('', 'gap', 'outlier') }),
    fc.record({ type: fc.constant('system_error' as const), service: fc.constantFrom('', 'svc', 'prediction') }),
  );
  const ruleArb = fc
    .record({
      condition: conditionArb,
      symbol: fc.constantFrom(...SYMBOLS),
      enabled: fc.constantFrom(true, true, true, false),
      cooldown_seconds: fc.constantFrom(0, 1, 5),
      user_id: fc.constantFrom('', 'u1', 'u2'),
    })
    .map(({ condition, ...extra }) => rule(condition, extra));

  const symbol = fc.constantFrom('AAPL', 'MSFT', 'GOOG', 'aapl', '');
  const subject = fc.constantFrom('acct-1', 'AAPL', 'aapl', 'MSFT', '');
  const provider = fc.constantFrom('p1', 'p2', 'p3');
  /** A signal without its time, which the sequence sets. */
  const signalArb: fc.Arbitrary<(at: number) => Signal> = fc.oneof(
    fc
      .record({ symbol, price: fc.integer({ min: 192, max: 208 }) })
      .map((x) => (at: number): Signal => ({ type: 'price', ...x, price: x.price / 2, at })),
    fc
      .record({
        id: fc.constantFrom('pa', 'pb', 'pc'),
        symbol,
        horizon_seconds: fc.constantFrom(60, 300),
        predicted_price: level,
        width: fc.integer({ min: 0, max: 3 }),
        span: fc.constantFrom(undefined, 2_000, 60_000),
      })
      .map(({ width, span, ...x }) => (at: number): Signal => ({
        type: 'prediction',
        ...x,
        lower: x.predicted_price - width,
        upper: x.predicted_price + width,
        made_at: at,
        target_at: span === undefined ? undefined : at + span,
        at,
      })),
    fc
      .record({ subject, owner: fc.constantFrom('', 'u1'), current_equity: fc.integer({ min: 85, max: 100 }) })
      .map((x) => (at: number): Signal => ({ type: 'equity', ...x, peak_equity: 100, at })),
    fc
      .record({
        subject,
        status: fc.constantFrom('normal', 'soft_pause', 'hard_stop', 'halted'),
        drawdown_pct: limit,
        daily_loss_pct: limit,
      })
      .map((x) => (at: number): Signal => ({ type: 'risk_status', ...x, message: 'm', at })),
    fc
      .record({ provider, percentage: fc.constantFrom(40, 60, 95) })
      .map((x) => (at: number): Signal => ({ type: 'rate_limit', ...x, used: x.percentage, limit: 100, at })),
    fc
      .record({ provider, new_status: fc.constantFrom('online', 'degraded', 'offline') })
      .map((x) => (at: number): Signal => ({ type: 'provider_status', ...x, old_status: 'online', at })),
    fc
      .record({ symbol, kind: fc.constantFrom('gap', 'outlier', 'stale') })
      .map((x) => (at: number): Signal => ({ type: 'data_quality', ...x, provider: 'p1', detail: '', at })),
    fc
      .record({ service: fc.constantFrom('svc', 'prediction', 'gateway'), code: fc.constantFrom('E1', 'E2') })
      .map((x) => (at: number): Signal => ({ type: 'system_error', ...x, message: 'boom', at })),
  );
  type Step =
    | { op: 'signal'; dt: number; signal: (at: number) => Signal }
    | { op: 'undo'; back: number }
    | { op: 'change'; which: number; to: Rule | undefined };
  const stepArb: fc.Arbitrary<Step> = fc.oneof(
    {
      weight: 8,
      arbitrary: fc.record({
        op: fc.constant('signal' as const),
        dt: fc.oneof(fc.integer({ min: 0, max: 3_000 }), fc.constant(86_400_000)),
        signal: signalArb,
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('undo' as const), back: fc.nat(3) }) },
    {
      weight: 1,
      arbitrary: fc.record({ op: fc.constant('change' as const), which: fc.nat(), to: fc.option(ruleArb, { nil: undefined }) }),
    },
  );

  /** What an evaluation says, without its undo (a closure) or how many rules it tried. */
  const said = ({ firings, riskChanges }: Evaluation) => ({ firings, riskChanges });
  /** The evaluator's rule state, without the journal of closures. */
  const stateOf = (ev: RuleEvaluator) => Object.entries(ev).filter(([k]) => k !== 'journal');

  it('raises the same alerts and keeps the same state as trying every rule, undo and rule changes included', () => {
    fc.assert(
      fc.property(
        fc.array(ruleArb, { maxLength: 16, size: 'max' }),
        fc.array(stepArb, { minLength: 10, maxLength: 80, size: 'max' }),
        (initial, steps) => {
          const indexed = evaluator();
          const reference = evaluator();
          let rules = initial;
          // As the engine does: the index is built when the rule set changes, not per signal.
          let index = RuleIndex.build(rules);
          const done: [Evaluation, Evaluation][] = [];
          let at = T0;
          for (const step of steps) {
            if (step.op === 'signal') {
              at += step.dt;
              const signal = step.signal(at);
              const got = indexed.evaluate(signal, index);
              const want = reference.evaluate(signal, everyRule(rules));
              expect(said(got)).toEqual(said(want));
              expect(got.rulesTried).toBeLessThanOrEqual(want.rulesTried);
              done.push([got, want]);
            } else if (step.op === 'undo') {
              const pair = done[done.length - 1 - step.back];
              pair?.[0].undo();
              pair?.[1].undo();
            } else if (rules.length) {
              const id = rules[step.which % rules.length].id;
              for (const ev of [indexed, reference]) ev.forgetRule(id);
              rules = rules.filter((r) => r.id !== id);
              if (step.to) rules.push({ ...step.to, id });
              index = RuleIndex.build(rules);
            }
            expect(stateOf(indexed)).toEqual(stateOf(reference));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("tries only AAPL's rules on an AAPL tick, however many rules watch other symbols", () => {
    const others = Array.from({ length: 20_000 }, (_, i) =>
      rule({ type: 'price_above', price: 100 }, { symbol: `SYM${i % 500}`, user_id: `user-${Math.floor(i / 100)}` }),
    );
    const above = rule({ type: 'price_above', price: 100 });
    const below = rule({ type: 'price_below', price: 100 });
    const off = rule({ type: 'price_above', price: 100 }, { enabled: false });
    const index = RuleIndex.build([...others.slice(0, 10_000), above, off, below, ...others.slice(10_000)]);
    const ev = evaluator();
    expect(ev.evaluate(price(99), index).rulesTried).toBe(2);
    const crossed = ev.evaluate(price(101, 1000), index);
    expect(crossed.rulesTried).toBe(2);
    expect(crossed.firings.map((f) => f.rule.id)).toEqual([above.id]);
    // A symbol no rule watches tries none.
    expect(ev.evaluate(price(50, 2000, 'NFLX'), index).rulesTried).toBe(0);
  });
});
