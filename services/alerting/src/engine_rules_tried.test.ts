import { market, events } from '@marketpulse/proto';
import { MemoryBroker, MemoryBus, buildEvent, createLogger, metricsRegistry } from '@marketpulse/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertEngine } from './engine';
import type { Condition, Rule } from './rules/rule';
import type { AlertStore } from './store/alert_store';
import type { RuleStore } from './store/rule_store';
import { KnownSymbols } from './symbols';

// What an SRE reads off /metrics: marketpulse_alert_rule_evaluations_total counts the rules whose
// condition an event was checked against. With many users' rules on other symbols, an AAPL tick
// must cost AAPL's rules, not every rule the service holds.

const OTHER_RULES = 20_000;

let seq = 0;
const rule = (condition: Condition, extra: Partial<Rule>): Rule => ({
  id: `rule-${++seq}`,
  user_id: 'alice',
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
});

const rules: Rule[] = [
  ...Array.from({ length: OTHER_RULES }, (_, i) =>
    rule({ type: 'price_above', price: 100 }, { symbol: `SYM${i % 500}`, user_id: `user-${Math.floor(i / 100)}` }),
  ),
  rule({ type: 'price_above', price: 200 }, {}),
  rule({ type: 'price_below', price: 50 }, {}),
  rule({ type: 'price_above', price: 300 }, { enabled: false }),
  rule(
    { type: 'risk_threshold', drawdown_soft_pause: 0.5, drawdown_hard_stop: 0, daily_loss_soft_pause: 0, daily_loss_hard_stop: 0 },
    { symbol: '' },
  ),
];

let bus: MemoryBus;
let engine: AlertEngine;

const sample = async (name: string): Promise<number> => {
  const line = (await metricsRegistry().metrics()).split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : 0;
};
const evaluations = async () => {
  const lines = (await metricsRegistry().metrics()).split('\n').filter((l) => l.startsWith('marketpulse_alert_evaluations_total{'));
  return lines.reduce((n, l) => n + Number(l.split(' ')[1]), 0);
};
/** How many rules one event was checked against, read off the counter as a scrape would. */
const rulesTriedBy = async (event: ReturnType<typeof buildEvent>): Promise<number> => {
  const [evaluated, tried] = [await evaluations(), await sample('marketpulse_alert_rule_evaluations_total')];
  await bus.publish([event]);
  for (const end = Date.now() + 10_000; (await evaluations()) === evaluated;) {
    if (Date.now() > end) throw new Error('the event was not evaluated within 10 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  return (await sample('marketpulse_alert_rule_evaluations_total')) - tried;
};

beforeAll(async () => {
  bus = new MemoryBus({ broker: new MemoryBroker(), topicPrefix: 'tried.' });
  // The engine's stores, in memory: these events raise no alert, so nothing is stored.
  const ruleStore = { fingerprint: async () => 'fixed', listAll: async () => rules } as unknown as RuleStore;
  const alertStore = { pendingOutbox: async () => [], record: async () => [], removeFromOutbox: async () => {} } as unknown as AlertStore;
  engine = new AlertEngine({
    bus,
    rules: ruleStore,
    alerts: alertStore,
    symbols: new KnownSymbols([], undefined),
    logger: createLogger('alerting-rules-tried-test', {}, { level: 'silent' }),
    source: 'alerting',
    groupId: 'alerting',
    fromBeginning: true,
    defaultCooldownSeconds: 300,
    ruleRefreshMs: 3_600_000,
    outboxRetryMs: 3_600_000,
  });
  await engine.start();
});

afterAll(async () => {
  await engine?.stop();
  await bus?.close();
});

describe('rules tried per event (marketpulse_alert_rule_evaluations_total)', () => {
  it(`an AAPL tick is checked against AAPL's 2 enabled price rules, not the ${OTHER_RULES} rules on other symbols`, async () => {
    const tick = buildEvent('market_data_update', {
      source: 'market-data',
      subject: 'AAPL',
      payload: market.Tick.fromPartial({ symbol: 'AAPL', price: 150, timestamp: new Date().toISOString() }),
    });
    expect(await rulesTriedBy(tick)).toBe(2);
  });

  it("alice's equity update is checked against her risk rule only", async () => {
    const equity = buildEvent('equity_update', {
      source: 'engine',
      subject: 'acct-1',
      owner: 'alice',
      payload: events.EquityUpdate.fromPartial({ total_equity: '100', peak_equity: '100', current_equity: '99' }),
    });
    expect(await rulesTriedBy(equity)).toBe(1);
  });
});
