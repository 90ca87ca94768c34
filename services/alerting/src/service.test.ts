import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { alerting, events } from '@marketpulse/proto';
import { MemoryBroker, MemoryBus, createLogger, openDatabase, type Database } from '@marketpulse/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config';
import { startAlerting, type AlertingHandle } from './service';

let dir: string;
let db: Database;
let bus: MemoryBus;
let handle: AlertingHandle;
let client: alerting.AlertingServiceClient;
const seen: events.Event[] = [];

const call = <Req, Res>(fn: (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => void, req: Req) =>
  new Promise<Res>((resolve, reject) => fn.call(client, req, (err, res) => (err ? reject(err) : resolve(res))));

const waitFor = async <T>(fn: () => T | undefined, ms = 3000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

let seq = 0;
const tick = (symbol: string, price: number): events.Event => ({
  id: `tick-${++seq}`,
  type: 'market_data_update',
  source: 'market-data',
  subject: symbol,
  time: new Date().toISOString(),
  owner: '',
  payload: {
    $case: 'market_data_update',
    market_data_update: {
      symbol,
      price,
      volume: 1,
      bid: price,
      ask: price,
      provider: 'sim',
      sequence: String(seq),
      timestamp: new Date().toISOString(),
    },
  },
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'alerting-'));
  const logger = createLogger('alerting-test', {}, { level: 'silent' });
  db = await openDatabase({ service: 'alerting', dataDir: dir });
  bus = new MemoryBus({ broker: new MemoryBroker(), topicPrefix: 't.' });
  await bus.subscribe({
    groupId: 'observer',
    types: ['alert_triggered', 'risk_status_update'],
    handler: async (d) => void seen.push(d.event),
  });
  const config = loadConfig({
    GRPC_PORT: '0',
    MARKET_DATA_GRPC_ADDR: '',
    ALERT_KNOWN_SYMBOLS: 'AAPL,MSFT',
    ALERT_SYSTEM_RULES: 'false',
    ALERT_MAX_RULES_PER_USER: '5',
  });
  handle = await startAlerting(config, { bus, db, logger });
  client = new alerting.AlertingServiceClient(`127.0.0.1:${handle.grpcPort}`, grpc.credentials.createInsecure());
});

afterAll(async () => {
  client?.close();
  await handle?.close();
  await bus?.close();
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('alerting service (memory bus, PGlite)', () => {
  it('fires a price rule, stores the alert and lets only its owner acknowledge it', async () => {
    const created = await call<alerting.CreateRuleRequest, alerting.CreateRuleResponse>(client.createRule, {
      rule: alerting.Rule.fromPartial({
        user_id: 'alice',
        name: 'AAPL > 100',
        symbol: 'AAPL',
        cooldown_seconds: 60,
        enabled: true,
        condition: { kind: { $case: 'price_above', price_above: { price: 100 } } },
      }),
    });
    const ruleId = created.rule!.id;
    await bus.publish([tick('AAPL', 99), tick('AAPL', 101)]);
    const alert = await waitFor(() =>
      seen.find((e) => e.payload?.$case === 'alert_triggered' && e.payload.alert_triggered.rule_id === ruleId),
    );
    expect(alert.payload?.$case === 'alert_triggered' && alert.payload.alert_triggered).toMatchObject({
      user_id: 'alice',
      symbol: 'AAPL',
      condition: 'price_above',
      alert_type: 'price_alert',
    });

    const mine = await call<alerting.ListAlertsRequest, alerting.ListAlertsResponse>(
      client.listAlerts,
      alerting.ListAlertsRequest.fromPartial({ user_id: 'alice' }),
    );
    expect(mine.alerts).toHaveLength(1);
    const theirs = await call<alerting.ListAlertsRequest, alerting.ListAlertsResponse>(
      client.listAlerts,
      alerting.ListAlertsRequest.fromPartial({ user_id: 'bob' }),
    );
    expect(theirs.alerts).toHaveLength(0);

    const id = mine.alerts[0].id;
    await expect(call(client.acknowledgeAlert, { id, acknowledged_by: 'bob', user_id: 'bob' })).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });
    const acked = await call<alerting.AcknowledgeAlertRequest, alerting.AcknowledgeAlertResponse>(client.acknowledgeAlert, {
      id,
      acknowledged_by: 'alice',
      user_id: 'alice',
    });
    expect(acked.alert).toMatchObject({ acknowledged: true, acknowledged_by: 'alice' });
    const open = await call<alerting.ListAlertsRequest, alerting.ListAlertsResponse>(
      client.listAlerts,
      alerting.ListAlertsRequest.fromPartial({ user_id: 'alice', acknowledged: false }),
    );
    expect(open.alerts).toHaveLength(0);
  });

  it('refuses a user more than ALERT_MAX_RULES_PER_USER rules, also created at once, with room again after a delete', async () => {
    const create = (user: string) =>
      call<alerting.CreateRuleRequest, alerting.CreateRuleResponse>(client.createRule, {
        rule: alerting.Rule.fromPartial({
          user_id: user,
          name: 'many',
          symbol: 'AAPL',
          enabled: true,
          condition: { kind: { $case: 'price_above', price_above: { price: 1000 } } },
        }),
      });
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => create('carol')));
    const made = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.rule!.id] : []));
    expect(made).toHaveLength(5);
    for (const r of results) {
      if (r.status === 'rejected')
        expect(r.reason).toMatchObject({
          code: grpc.status.RESOURCE_EXHAUSTED,
          details: expect.stringContaining('you have 5 alert rules'),
        });
    }
    // Another user's rules are their own count.
    await expect(create('dave')).resolves.toMatchObject({ rule: { user_id: 'dave' } });
    await call(client.deleteRule, { id: made[0], user_id: 'carol' });
    await expect(create('carol')).resolves.toMatchObject({ rule: { user_id: 'carol' } });
    await expect(create('carol')).rejects.toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED });
  });

  it('refuses bad input with INVALID_ARGUMENT and hides other users rules', async () => {
    const bad = (rule: Partial<alerting.Rule>) =>
      call(client.createRule, { rule: alerting.Rule.fromPartial({ user_id: 'alice', name: 'x', enabled: true, ...rule }) });
    await expect(bad({ symbol: 'NOPE', condition: { kind: { $case: 'price_above', price_above: { price: 1 } } } })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining("unknown symbol 'NOPE'"),
    });
    await expect(
      bad({
        symbol: 'AAPL',
        condition: { kind: { $case: 'percent_move', percent_move: { percent: 5, window_seconds: -1, direction: '' } } },
      }),
    ).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });

    const created = await call<alerting.CreateRuleRequest, alerting.CreateRuleResponse>(client.createRule, {
      rule: alerting.Rule.fromPartial({
        user_id: 'alice',
        name: 'MSFT < 10',
        symbol: 'MSFT',
        enabled: true,
        condition: { kind: { $case: 'price_below', price_below: { price: 10 } } },
      }),
    });
    const id = created.rule!.id;
    await expect(call(client.getRule, { id, user_id: 'bob' })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    await expect(call(client.deleteRule, { id, user_id: 'bob' })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    await expect(
      call(client.updateRule, { rule: alerting.Rule.fromPartial({ id, enabled: false }), update_mask: ['enabled'], user_id: 'bob' }),
    ).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    await expect(
      call(client.updateRule, { rule: alerting.Rule.fromPartial({ id }), update_mask: ['colour'], user_id: 'alice' }),
    ).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining('"colour"') });
    const updated = await call<alerting.UpdateRuleRequest, alerting.UpdateRuleResponse>(client.updateRule, {
      rule: alerting.Rule.fromPartial({ id, enabled: false }),
      update_mask: ['enabled'],
      user_id: 'alice',
    });
    expect(updated.rule).toMatchObject({ enabled: false, name: 'MSFT < 10' });
    const bobs = await call<alerting.ListRulesRequest, alerting.ListRulesResponse>(client.listRules, {
      user_id: 'bob',
      symbol: '',
      include_system: false,
    });
    expect(bobs.rules).toHaveLength(0);
  });
});
