// Ownership isolation, acknowledge that survives a restart, live alert streams and bad input,
// over the real Kafka and PostgreSQL.
import * as grpc from '@grpc/grpc-js';
import { alerting } from '@marketpulse/proto';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../harness';
import { alertingClient, alertsOf, ev, rule, startAlertingOn, unary, useAlertingRig } from './alerting.kit';

const rig = useAlertingRig('alerting-owner', { ALERT_SYSTEM_RULES: 'false' });

const create = async (r: alerting.Rule) => (await unary<alerting.CreateRuleResponse>((cb) => rig.client.createRule({ rule: r }, cb))).rule!;
const list = (req: Partial<alerting.ListAlertsRequest>) =>
  unary<alerting.ListAlertsResponse>((cb) => rig.client.listAlerts(alerting.ListAlertsRequest.fromPartial(req), cb));

describe('alerting ownership, acknowledge and input checks', () => {
  it('keeps each user to their own rules and alerts, and acknowledge persists across a restart', async () => {
    const aliceRule = await create(rule('alice', 'AAPL above 200', 'AAPL', { $case: 'price_above', price_above: { price: 200 } }));
    const bobRule = await create(
      rule('bob', 'AAPL above 200 too', 'AAPL', { $case: 'price_above', price_above: { price: 200 } }, { severity: 'critical' }),
    );

    const streamed: alerting.Alert[] = [];
    const stream = rig.client.streamAlerts({ user_id: 'bob', symbols: [], include_system: false });
    stream.on('data', (m: alerting.StreamAlertsResponse) => streamed.push(m.alert!));
    stream.on('error', () => undefined);

    await rig.slice.bus.publish([ev.tick('AAPL', 199), ev.tick('AAPL', 201)]);
    await waitFor(() => alertsOf(rig.slice, aliceRule.id).length && alertsOf(rig.slice, bobRule.id).length, {
      timeoutMs: 20_000,
      what: 'both users alerts',
    });
    await waitFor(() => streamed.length, { timeoutMs: 20_000, what: 'bob streamed alert' });
    expect(streamed.map((a) => a.user_id)).toEqual(['bob']);
    stream.cancel();

    // Rules: each sees only their own; another user's id answers NOT_FOUND.
    const aliceRules = await unary<alerting.ListRulesResponse>((cb) =>
      rig.client.listRules({ user_id: 'alice', symbol: '', include_system: true }, cb),
    );
    expect(aliceRules.rules.map((r) => r.id)).toEqual([aliceRule.id]);
    await expect(unary((cb) => rig.client.getRule({ id: bobRule.id, user_id: 'alice' }, cb))).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });
    await expect(
      unary((cb) =>
        rig.client.updateRule(
          { rule: alerting.Rule.fromPartial({ id: bobRule.id, enabled: false }), update_mask: ['enabled'], user_id: 'alice' },
          cb,
        ),
      ),
    ).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    await expect(unary((cb) => rig.client.deleteRule({ id: bobRule.id, user_id: 'alice' }, cb))).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });

    // Alerts: filtered by owner, severity and symbol.
    const aliceAlerts = (await list({ user_id: 'alice' })).alerts;
    expect(aliceAlerts.map((a) => a.rule_id)).toEqual([aliceRule.id]);
    expect((await list({ user_id: 'bob', severity: 'critical', symbol: 'AAPL' })).alerts.map((a) => a.rule_id)).toEqual([bobRule.id]);
    expect((await list({ user_id: 'bob', severity: 'info' })).alerts).toHaveLength(0);
    expect((await list({ user_id: 'bob', symbol: 'MSFT' })).alerts).toHaveLength(0);
    expect((await list({})).alerts.length).toBe(2); // operator view

    const bobAlert = (await list({ user_id: 'bob' })).alerts[0];
    await expect(
      unary((cb) => rig.client.acknowledgeAlert({ id: bobAlert.id, acknowledged_by: 'alice', user_id: 'alice' }, cb)),
    ).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    const acked = await unary<alerting.AcknowledgeAlertResponse>((cb) =>
      rig.client.acknowledgeAlert({ id: aliceAlerts[0].id, acknowledged_by: 'alice@example.com', user_id: 'alice' }, cb),
    );
    expect(acked.alert).toMatchObject({ acknowledged: true, acknowledged_by: 'alice@example.com' });

    // Restart on the same database: the acknowledgement is still there.
    rig.client.close();
    await rig.service.close();
    rig.service = await startAlertingOn(rig.slice, { ALERT_SYSTEM_RULES: 'false' });
    rig.client = alertingClient(rig.service.grpcPort);
    const [after] = (await list({ user_id: 'alice', hours: 1 })).alerts;
    expect(after).toMatchObject({ id: aliceAlerts[0].id, acknowledged: true, acknowledged_by: 'alice@example.com' });
    expect(Date.parse(after.acknowledged_at!)).toBeGreaterThan(Date.parse(after.timestamp!) - 1);
    expect((await list({ user_id: 'alice', acknowledged: false })).alerts).toHaveLength(0);
    expect((await list({ user_id: 'bob', acknowledged: false })).alerts).toHaveLength(1);
  });

  it('answers bad input with INVALID_ARGUMENT and a message naming the problem', async () => {
    const bad = (r: alerting.Rule) => unary((cb) => rig.client.createRule({ rule: r }, cb));
    const cases: [alerting.Rule, string][] = [
      [rule('alice', 'typo', 'APPL', { $case: 'price_above', price_above: { price: 1 } }), "unknown symbol 'APPL'"],
      [
        rule('alice', 'neg', 'AAPL', { $case: 'percent_move', percent_move: { percent: 5, window_seconds: -60, direction: 'up' } }),
        'window_seconds must be a positive whole number of seconds, got -60',
      ],
      [rule('alice', 'nothing', 'AAPL', undefined), 'rule.condition is required'],
      [rule('alice', 'sys', '', { $case: 'system_error', system_error: { service: '' } }), 'only operators create'],
      [
        rule('alice', 'sev', 'AAPL', { $case: 'price_above', price_above: { price: 1 } }, { severity: 'loud' }),
        "unknown rule.severity 'loud'",
      ],
    ];
    for (const [r, message] of cases) {
      await expect(bad(r)).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining(message) });
    }
    const ok = await create(rule('alice', 'fine', 'MSFT', { $case: 'price_below', price_below: { price: 10 } }));
    await expect(
      unary((cb) =>
        rig.client.updateRule({ rule: alerting.Rule.fromPartial({ id: ok.id }), update_mask: ['colour'], user_id: 'alice' }, cb),
      ),
    ).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining('unknown or read-only field "colour" in update_mask; writable fields:'),
    });
    await expect(list({ user_id: 'alice', hours: -1 })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
  });
});
