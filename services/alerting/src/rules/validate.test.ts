import { describe, expect, it } from 'vitest';
import type { Condition } from './rule';
import { validateRule, type RuleDraft } from './validate';

const knownSymbol = async (s: string) => ['AAPL', 'BTC-USD'].includes(s);
const draft = (d: Partial<RuleDraft>): RuleDraft => ({
  name: 'r',
  description: '',
  symbol: 'AAPL',
  severity: '',
  enabled: true,
  system: false,
  condition: { type: 'price_above', price: 100 },
  cooldown_seconds: 0,
  ...d,
});
const check = (d: Partial<RuleDraft>, userId = 'u1') => validateRule(draft(d), { knownSymbol, userId });
const risk = (c: Partial<Extract<Condition, { type: 'risk_threshold' }>>): Condition => ({
  type: 'risk_threshold',
  drawdown_soft_pause: 0,
  drawdown_hard_stop: 0,
  daily_loss_soft_pause: 0,
  daily_loss_hard_stop: 0,
  ...c,
});

describe('validateRule', () => {
  it('normalises a valid rule', async () => {
    expect(await check({ symbol: ' aapl ' })).toMatchObject({
      symbol: 'AAPL',
      severity: 'warning',
      system: false,
      condition: { type: 'price_above', price: 100 },
    });
    expect(
      (await check({ condition: { type: 'percent_move', percent: 2, window_seconds: 60, direction: '' as 'up' } })).condition,
    ).toMatchObject({ direction: 'either' });
    expect((await check({ symbol: '', condition: { type: 'rate_limit', percentage: 0, provider: '' } }, '')).condition).toMatchObject({
      percentage: 80,
    });
  });

  it.each<[Partial<RuleDraft>, string]>([
    [{ symbol: 'NOPE' }, "unknown symbol 'NOPE'"],
    [{ condition: undefined }, 'rule.condition is required'],
    [{ condition: { type: 'price_above', price: -1 } }, 'condition.price_above.price must be greater than zero'],
    [
      { condition: { type: 'percent_move', percent: 5, window_seconds: -60, direction: 'up' } },
      'window_seconds must be a positive whole number of seconds, got -60',
    ],
    [
      { condition: { type: 'percent_move', percent: 5, window_seconds: 60, direction: 'sideways' as 'up' } },
      "direction 'sideways' is not one of",
    ],
    [{ cooldown_seconds: -1 }, 'cooldown_seconds must be a whole number'],
    [{ severity: 'loud' }, "unknown rule.severity 'loud'"],
    [{ name: '  ' }, 'rule.name is required'],
    [{ symbol: '' }, 'rule.symbol is required for price_above rules'],
    [{ symbol: '', condition: risk({}) }, 'needs at least one of'],
    [
      { symbol: '', condition: risk({ drawdown_soft_pause: 0.1, drawdown_hard_stop: 0.05 }) },
      'drawdown_soft_pause must be below drawdown_hard_stop',
    ],
    [{ symbol: '', condition: risk({ drawdown_soft_pause: 4 }) }, 'must be a fraction'],
    [{ symbol: '', condition: { type: 'risk_status', statuses: ['panic'] } }, "statuses 'panic' is not one of"],
  ])('refuses %j', async (d, message) => {
    await expect(check(d)).rejects.toMatchObject({ reason: 'INVALID_ARGUMENT', message: expect.stringContaining(message) });
  });

  describe('percent_move window', () => {
    const move = (window_seconds: number): Extract<Condition, { type: 'percent_move' }> => ({
      type: 'percent_move',
      percent: 5,
      window_seconds,
      direction: 'up',
    });
    const FIELD = 'rule.condition.percent_move.window_seconds';

    it('refuses a window longer than the 24 h of prices kept, naming the field and the limit', async () => {
      // It was accepted up to 2^31 - 1 s and quietly answered over 24 h: "5 % within 7 days" meant 24 h.
      await expect(check({ condition: move(7 * 86_400) })).rejects.toMatchObject({
        reason: 'INVALID_ARGUMENT',
        message:
          'condition.percent_move.window_seconds must be at most 86400 (24 h, the longest this service keeps prices for), got 604800',
        violations: [{ field: FIELD }],
      });
      await expect(check({ condition: move(86_401) })).rejects.toMatchObject({ violations: [{ field: FIELD }] });
      expect((await check({ condition: move(86_400) })).condition).toMatchObject({ window_seconds: 86_400 });
    });

    it('lets an update keep the longer window a rule was stored with, but not set another', async () => {
      const stored = move(7 * 86_400);
      const update = (condition: Condition) => validateRule(draft({ name: 'renamed', condition }), { knownSymbol, userId: 'u1', stored });
      await expect(update(stored)).resolves.toMatchObject({ name: 'renamed', condition: { window_seconds: 604_800 } });
      await expect(update({ ...stored, percent: 2 })).resolves.toMatchObject({ condition: { percent: 2, window_seconds: 604_800 } });
      await expect(update(move(8 * 86_400))).rejects.toMatchObject({ violations: [{ field: FIELD }] });
    });
  });

  it('keeps system rules for operators', async () => {
    await expect(check({ symbol: '', condition: { type: 'system_error', service: '' } })).rejects.toThrow('only operators create');
    await expect(check({ system: true })).rejects.toThrow('only operators create');
    expect((await check({ symbol: '', condition: { type: 'system_error', service: '' } }, '')).system).toBe(true);
  });
});
