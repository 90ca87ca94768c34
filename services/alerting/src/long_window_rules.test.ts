import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { alerting, events } from '@marketpulse/proto';
import { MemoryBroker, MemoryBus, STATUS_DETAILS_KEY, createLogger, decodeStatus, openDatabase, type Database } from '@marketpulse/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config';
import type { Rule } from './rules/rule';
import { startAlerting, type AlertingHandle } from './service';
import { migrations } from './store/migrations';
import { RuleStore } from './store/rule_store';

// percent_move windows are limited to the 24 h of prices the service keeps. A rule stored before
// the limit with a longer window still loads, is still answered over 24 h, and can still be edited.

const HOUR_MS = 3_600_000;
const WEEK_S = 7 * 86_400;
const FIELD = 'rule.condition.percent_move.window_seconds';

let dir: string;
let db: Database;
let bus: MemoryBus;
let handle: AlertingHandle;
let client: alerting.AlertingServiceClient;
const alerts: alerting.Alert[] = [];

const stored: Rule = {
  id: 'week-move',
  user_id: 'alice',
  name: 'AAPL +5 % within a week',
  description: '',
  symbol: 'AAPL',
  severity: 'warning',
  enabled: true,
  system: false,
  condition: { type: 'percent_move', percent: 5, window_seconds: WEEK_S, direction: 'up' },
  cooldown_seconds: 60,
  created_at: new Date().toISOString(),
  updated_at: new Date().toISOString(),
  last_triggered_at: undefined,
};

const call = <Req, Res>(fn: (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => void, req: Req) =>
  new Promise<Res>((resolve, reject) => fn.call(client, req, (err, res) => (err ? reject(err) : resolve(res))));

/** The fields a refusal's BadRequest names. */
const refusedFields = (call: Promise<unknown>) =>
  call.then(
    () => {
      throw new Error('expected a refusal');
    },
    (err: grpc.ServiceError) => {
      expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
      const trailer = err.metadata.get(STATUS_DETAILS_KEY)[0] as Buffer;
      return { details: err.details, fields: decodeStatus(trailer).violations.map((v) => v.field) };
    },
  );

const waitFor = async <T>(fn: () => T | undefined, ms = 5000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

let seq = 0;
const tick = (price: number, at: number): events.Event => ({
  id: `tick-${++seq}`,
  type: 'market_data_update',
  source: 'market-data',
  subject: 'AAPL',
  time: new Date(at).toISOString(),
  owner: '',
  payload: {
    $case: 'market_data_update',
    market_data_update: {
      symbol: 'AAPL',
      price,
      volume: 1,
      bid: price,
      ask: price,
      provider: 'sim',
      sequence: String(seq),
      timestamp: new Date(at).toISOString(),
    },
  },
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'alerting-window-'));
  const logger = createLogger('alerting-window-test', {}, { level: 'silent' });
  db = await openDatabase({ service: 'alerting', dataDir: dir });
  await db.migrate(migrations);
  await new RuleStore(db).insert(stored);
  bus = new MemoryBus({ broker: new MemoryBroker(), topicPrefix: 't.' });
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
});

afterAll(async () => {
  client?.close();
  await handle?.close();
  await bus?.close();
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('percent_move windows longer than the prices kept', () => {
  it('refuses to create one, naming the field and the limit', async () => {
    const create = (window_seconds: number) =>
      call(client.createRule, {
        rule: alerting.Rule.fromPartial({
          user_id: 'bob',
          name: 'AAPL +5 % within a week',
          symbol: 'AAPL',
          enabled: true,
          condition: { kind: { $case: 'percent_move', percent_move: { percent: 5, window_seconds, direction: 'up' } } },
        }),
      });
    await expect(refusedFields(create(WEEK_S))).resolves.toEqual({
      details: expect.stringContaining('must be at most 86400 (24 h, the longest this service keeps prices for), got 604800'),
      fields: [FIELD],
    });
    await expect(create(86_400)).resolves.toMatchObject({ rule: { user_id: 'bob' } });
  });

  it('still loads and answers a rule stored with one, over the 24 h kept as before', async () => {
    const now = Date.now();
    // 100 a day and an hour ago has left the 24 h kept: the move is measured from 103, not 100.
    await bus.publish([tick(100, now - 25 * HOUR_MS), tick(103, now - 23 * HOUR_MS), tick(109, now - 1000)]);
    const alert = await waitFor(() => alerts.find((a) => a.rule_id === stored.id));
    expect(alert.values).toMatchObject({ change_percent: 5.825243, window_seconds: WEEK_S });
  });

  it('lets its owner edit it without shortening the window, but not set another too long', async () => {
    const update = (rule: Partial<alerting.Rule>, update_mask: string[]) =>
      call<alerting.UpdateRuleRequest, alerting.UpdateRuleResponse>(client.updateRule, {
        rule: alerting.Rule.fromPartial({ id: stored.id, ...rule }),
        update_mask,
        user_id: 'alice',
      });
    const renamed = await update({ name: 'weekly move' }, ['name']);
    expect(renamed.rule).toMatchObject({ name: 'weekly move', enabled: true });
    expect(renamed.rule!.condition!.kind).toMatchObject({ $case: 'percent_move', percent_move: { window_seconds: WEEK_S } });
    const move = (window_seconds: number) => ({
      condition: { kind: { $case: 'percent_move' as const, percent_move: { percent: 3, window_seconds, direction: 'up' } } },
    });
    await expect(update(move(WEEK_S), ['condition'])).resolves.toMatchObject({ rule: { name: 'weekly move' } });
    await expect(refusedFields(update(move(2 * WEEK_S), ['condition']))).resolves.toMatchObject({ fields: [FIELD] });
  });
});
