// Every rule kind over the real Kafka and PostgreSQL: each fires exactly when it should, the
// cooldown holds, and risk thresholds publish risk_status_update as the trading seed's engine does.
import { alerting } from '@marketpulse/proto';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../harness';
import { alertsOf, ev, rule, sleep, unary, useAlertingRig } from './alerting.kit';

const rig = useAlertingRig('alerting-rules');

const create = async (r: alerting.Rule) => (await unary<alerting.CreateRuleResponse>((cb) => rig.client.createRule({ rule: r }, cb))).rule!;
/** Waits for `n` alerts of a rule, then a little longer to prove no more arrive. */
async function expectAlerts(ruleId: string, n: number, settleMs = 1500): Promise<alerting.Alert[]> {
  if (n > 0) await waitFor(() => alertsOf(rig.slice, ruleId).length >= n, { timeoutMs: 20_000, what: `${n} alert(s) of rule ${ruleId}` });
  await sleep(settleMs);
  const got = alertsOf(rig.slice, ruleId);
  expect(got).toHaveLength(n);
  return got;
}

describe('alerting rules over Kafka and PostgreSQL', () => {
  it('fires price_above on the upward crossing and holds its cooldown', async () => {
    const r = await create(
      rule('alice', 'AAPL above 100', 'AAPL', { $case: 'price_above', price_above: { price: 100 } }, { cooldown_seconds: 3 }),
    );
    // Event times are explicit, so the cooldown check does not depend on how fast this machine is.
    const t0 = Date.now();
    const at = (s: number) => new Date(t0 + s * 1000);
    await rig.slice.bus.publish([ev.tick('AAPL', 99, at(0)), ev.tick('AAPL', 100, at(0.1))]);
    await expectAlerts(r.id, 0);
    await rig.slice.bus.publish([ev.tick('AAPL', 101, at(0.2)), ev.tick('AAPL', 102, at(0.3))]);
    const [first] = await expectAlerts(r.id, 1);
    expect(first).toMatchObject({
      user_id: 'alice',
      symbol: 'AAPL',
      condition: 'price_above',
      alert_type: 'price_alert',
      values: { price: 101, threshold: 100 },
    });
    // Crossing again 1 s later, inside the 3 s cooldown: no alert.
    await rig.slice.bus.publish([ev.tick('AAPL', 98, at(1)), ev.tick('AAPL', 103, at(1.2))]);
    await expectAlerts(r.id, 1, 500);
    // Crossing again 4 s after the first: the cooldown has passed.
    await rig.slice.bus.publish([ev.tick('AAPL', 97, at(4)), ev.tick('AAPL', 104, at(4.2))]);
    await expectAlerts(r.id, 2);
  });

  it('fires price_below and percent_move only when their condition is met', async () => {
    const below = await create(rule('alice', 'MSFT below 50', 'MSFT', { $case: 'price_below', price_below: { price: 50 } }));
    const move = await create(
      rule('alice', 'TSLA 5 % in a minute', 'TSLA', {
        $case: 'percent_move',
        percent_move: { percent: 5, window_seconds: 60, direction: 'up' },
      }),
    );
    await rig.slice.bus.publish([
      ev.tick('MSFT', 55),
      ev.tick('MSFT', 51),
      ev.tick('TSLA', 100),
      ev.tick('TSLA', 103),
      ev.tick('TSLA', 104.9),
    ]);
    await expectAlerts(below.id, 0, 0);
    await expectAlerts(move.id, 0);
    await rig.slice.bus.publish([ev.tick('MSFT', 49), ev.tick('TSLA', 105.5), ev.tick('TSLA', 106)]);
    await expectAlerts(below.id, 1, 0);
    const [m] = await expectAlerts(move.id, 1);
    expect(m.values.change_percent).toBeCloseTo(5.5, 5);
  });

  it('fires prediction_crossing on the crossing and prediction_interval_exit once per prediction', async () => {
    const cross = await create(
      rule('alice', 'AMZN forecast above 150', 'AMZN', {
        $case: 'prediction_crossing',
        prediction_crossing: { level: 150, direction: 'either', horizon_seconds: 0 },
      }),
    );
    const exit = await create(
      rule('alice', 'NVDA leaves its band', 'NVDA', {
        $case: 'prediction_interval_exit',
        prediction_interval_exit: { horizon_seconds: 0 },
      }),
    );
    await rig.slice.bus.publish([ev.prediction('AMZN', 149, 140, 160), ev.prediction('AMZN', 149.5, 140, 160)]);
    await expectAlerts(cross.id, 0, 500);
    await rig.slice.bus.publish([ev.prediction('AMZN', 151, 140, 160), ev.prediction('AMZN', 152, 140, 160)]);
    await expectAlerts(cross.id, 1, 0);

    // Predictions and ticks travel on different topics: repeat the tick until the prediction is in.
    await rig.slice.bus.publish(ev.prediction('NVDA', 100, 95, 105));
    await waitFor(
      async () => {
        await rig.slice.bus.publish(ev.tick('NVDA', 106));
        await sleep(300);
        return alertsOf(rig.slice, exit.id).length > 0;
      },
      { timeoutMs: 20_000, what: 'the interval exit alert' },
    );
    await rig.slice.bus.publish([ev.tick('NVDA', 107), ev.tick('NVDA', 100), ev.tick('NVDA', 90)]);
    const [x] = await expectAlerts(exit.id, 1);
    expect(x).toMatchObject({ alert_type: 'prediction_alert', values: { lower: 95, upper: 105 } });
  });

  it('moves risk_threshold through soft pause and hard stop, publishing risk_status_update', async () => {
    const risk = await create(
      rule('alice', 'Drawdown guard', '', {
        $case: 'risk_threshold',
        risk_threshold: { drawdown_soft_pause: 0.04, drawdown_hard_stop: 0.08, daily_loss_soft_pause: 0, daily_loss_hard_stop: 0 },
      }),
    );
    const statuses = () =>
      rig.slice.emitted.flatMap(({ event: e }) =>
        e.payload?.$case === 'risk_status_update' && e.subject === 'acct-1' ? [e.payload.risk_status_update] : [],
      );
    await rig.slice.bus.publish([ev.equity('acct-1', 10_000, 10_000), ev.equity('acct-1', 9_700, 10_000)]);
    await expectAlerts(risk.id, 0);
    await rig.slice.bus.publish(ev.equity('acct-1', 9_600, 10_000));
    const [soft] = await expectAlerts(risk.id, 1, 0);
    expect(soft.severity).toBe('warning');
    await rig.slice.bus.publish([ev.equity('acct-1', 9_500, 10_000), ev.equity('acct-1', 9_100, 10_000)]);
    const alerts = await expectAlerts(risk.id, 2);
    expect(alerts[1].severity).toBe('critical');
    await waitFor(() => statuses().length >= 2, { timeoutMs: 10_000, what: 'two risk status updates' });
    expect(statuses().map((s) => [s.status, s.drawdown_pct])).toEqual([
      ['soft_pause', '0.04'],
      ['hard_stop', '0.09'],
    ]);
    expect(statuses()[0].message).toBe('New position openings stopped. Existing positions remain open.');
  });

  it('fires risk_status rules on the engine-reported status they name', async () => {
    const r = await create(rule('alice', 'Engine hard stop', '', { $case: 'risk_status', risk_status: { statuses: ['hard_stop'] } }));
    await rig.slice.bus.publish(ev.riskStatus('engine-1', 'soft_pause', 0.05));
    await expectAlerts(r.id, 0);
    await rig.slice.bus.publish(ev.riskStatus('engine-1', 'hard_stop', 0.1));
    expect((await expectAlerts(r.id, 1))[0].severity).toBe('critical');
  });

  it('fires the built-in system rules: rate limit at 80 %, provider status change, data quality, system error', async () => {
    const { rules } = await unary<alerting.ListRulesResponse>((cb) =>
      rig.client.listRules({ user_id: '', symbol: '', include_system: true }, cb),
    );
    const sys = (c: string) => rules.find((r) => r.system && r.condition?.kind?.$case === c)!;
    expect(rules.filter((r) => r.system)).toHaveLength(4);
    await rig.slice.bus.publish([
      ev.rateLimit('slowapi', 7, 10),
      ev.providerStatus('coingecko', 'online', 'offline'),
      ev.dataQuality('AAPL', 'gap'),
      ev.systemError('prediction', 'MODEL_FAILED'),
    ]);
    await expectAlerts(sys('provider_status_change').id, 1, 0);
    await expectAlerts(sys('data_quality_issue').id, 1, 0);
    await expectAlerts(sys('system_error').id, 1, 0);
    await expectAlerts(sys('rate_limit').id, 0);
    await rig.slice.bus.publish(ev.rateLimit('slowapi', 8, 10));
    const [rl] = await expectAlerts(sys('rate_limit').id, 1);
    expect(rl).toMatchObject({ user_id: '', provider: 'slowapi', alert_type: 'rate_limit', values: { percentage: 80 } });
    const offline = alertsOf(rig.slice, sys('provider_status_change').id)[0];
    expect(offline).toMatchObject({ provider: 'coingecko', severity: 'high' });
  });
});
