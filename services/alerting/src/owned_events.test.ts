import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { alerting, events } from '@marketpulse/proto';
import { MemoryBroker, MemoryBus, buildEvent, createLogger, openDatabase, type Database } from '@marketpulse/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config';
import { startAlerting, type AlertingHandle } from './service';

// Owned events published through the gateway's publish API (one account's risk status or equity,
// Event.owner set) are evaluated for their owner's rules only: another user's rule, or a system
// rule whose alert every reader sees, would pass the owner's figures on.

let dir: string;
let db: Database;
let bus: MemoryBus;
let handle: AlertingHandle;
let client: alerting.AlertingServiceClient;
const alerts: alerting.Alert[] = [];

const waitFor = async <T>(fn: () => T | undefined, ms = 5000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

const createRule = (user: string, condition: alerting.RuleCondition['kind']) =>
  new Promise<string>((resolve, reject) =>
    client.createRule(
      {
        rule: alerting.Rule.fromPartial({
          user_id: user,
          name: `${user}'s rule`,
          symbol: '',
          cooldown_seconds: 0,
          enabled: true,
          condition: { kind: condition },
        }),
      },
      (err, res) => (err ? reject(err) : resolve(res.rule!.id)),
    ),
  );

let seq = 0;
const riskStatus = (owner: string, message: string): events.Event =>
  buildEvent('risk_status_update', {
    id: `engine/risk-${++seq}`,
    source: 'engine',
    subject: 'ACCT-1',
    owner,
    payload: { status: 'hard_stop', message, drawdown_pct: '0.3', daily_loss_pct: '0.1' },
  });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'alerting-owned-'));
  const logger = createLogger('alerting-owned-test', {}, { level: 'silent' });
  db = await openDatabase({ service: 'alerting', dataDir: dir });
  bus = new MemoryBus({ broker: new MemoryBroker(), topicPrefix: 'owned.' });
  await bus.subscribe({
    groupId: 'observer',
    types: ['alert_triggered'],
    handler: async (d) => {
      if (d.event.payload?.$case === 'alert_triggered') alerts.push(d.event.payload.alert_triggered);
    },
  });
  const config = loadConfig({ GRPC_PORT: '0', MARKET_DATA_GRPC_ADDR: '', ALERT_KNOWN_SYMBOLS: 'AAPL', ALERT_SYSTEM_RULES: 'false' });
  handle = await startAlerting(config, { bus, db, logger });
  client = new alerting.AlertingServiceClient(`127.0.0.1:${handle.grpcPort}`, grpc.credentials.createInsecure());
}, 60_000);

afterAll(async () => {
  client?.close();
  await handle?.close();
  await bus?.close();
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('owned events and alert rules', () => {
  it("an event owned by alice fires alice's rule only, never bob's; a system event fires bob's", async () => {
    const risk = { $case: 'risk_status' as const, risk_status: { statuses: ['hard_stop'] } };
    const aliceRule = await createRule('alice', risk);
    const bobRule = await createRule('bob', risk);

    await bus.publish([riskStatus('alice', 'alice account')]);
    await bus.publish([riskStatus('', 'every account')]);
    // alice's rule is in its cooldown by then: the system event shows that bob's rule fires at all.
    await waitFor(() => alerts.some((a) => a.rule_id === bobRule));
    const fired = alerts.map((a) => ({ rule: a.rule_id, user: a.user_id, message: a.message }));
    expect(fired.filter((a) => a.message.includes('alice account'))).toEqual([
      { rule: aliceRule, user: 'alice', message: expect.stringContaining('alice account') },
    ]);
    expect(fired.filter((a) => a.rule === bobRule).map((a) => a.message)).toEqual([expect.stringContaining('every account')]);
  });
});
