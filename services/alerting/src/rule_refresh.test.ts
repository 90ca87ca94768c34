import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { alerting, market } from '@marketpulse/proto';
import { MemoryBroker, MemoryBus, buildEvent, createLogger, openDatabase, type Database } from '@marketpulse/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config';
import { startAlerting, type AlertingHandle } from './service';

// Two instances on one database: a rule created through one reaches the other at its next refresh
// (ALERT_RULE_REFRESH_MS). An unchanged rule set is not read again: with 20,000 rules each re-read
// cost 4.5 CPU-s of every 30 s on every instance, whether anything had changed or not.

const FULL_READ = 'SELECT * FROM rules ORDER BY';
const FINGERPRINT = 'SELECT count(*)::text AS n';

let dir: string;
let db: Database;
const reads = { full: 0, fingerprint: 0 };
const handles: AlertingHandle[] = [];
const buses: MemoryBus[] = [];
let viaB: alerting.AlertingServiceClient;
const alertsOnA: alerting.Alert[] = [];
let busA: MemoryBus;

const waitFor = async <T>(fn: () => T | undefined | false, ms = 10_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** Instance A's database: the same one, its rule-set reads counted. */
function counted(inner: Database): Database {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop !== 'query') return Reflect.get(target, prop, receiver) as unknown;
      return (sql: string, params?: unknown[]) => {
        if (sql.startsWith(FULL_READ)) reads.full += 1;
        if (sql.startsWith(FINGERPRINT)) reads.fingerprint += 1;
        return target.query(sql, params);
      };
    },
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'alerting-refresh-'));
  const logger = createLogger('alerting-refresh-test', {}, { level: 'silent' });
  db = await openDatabase({ service: 'alerting', dataDir: dir });
  const settings = {
    GRPC_PORT: '0',
    MARKET_DATA_GRPC_ADDR: '',
    ALERT_KNOWN_SYMBOLS: 'AAPL',
    ALERT_SYSTEM_RULES: 'false',
    ALERT_RULE_REFRESH_MS: '100',
  };
  // Each instance on its own bus: a tick published to A is evaluated by A alone.
  busA = new MemoryBus({ broker: new MemoryBroker(), topicPrefix: 'a.' });
  const busB = new MemoryBus({ broker: new MemoryBroker(), topicPrefix: 'b.' });
  buses.push(busA, busB);
  await busA.subscribe({
    groupId: 'observer',
    types: ['alert_triggered'],
    handler: async (d) => {
      if (d.event.payload?.$case === 'alert_triggered') alertsOnA.push(d.event.payload.alert_triggered);
    },
  });
  handles.push(await startAlerting(loadConfig(settings), { bus: busA, db: counted(db), logger }));
  const b = await startAlerting(loadConfig(settings), { bus: busB, db, logger });
  handles.push(b);
  viaB = new alerting.AlertingServiceClient(`127.0.0.1:${b.grpcPort}`, grpc.credentials.createInsecure());
}, 60_000);

afterAll(async () => {
  viaB?.close();
  for (const h of handles) await h.close();
  for (const bus of buses) await bus.close();
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('rules changed through another instance', () => {
  it('are read again when the stored set changed, and only then', async () => {
    const checksAfter = (n: number) => waitFor(() => reads.full + reads.fingerprint >= n);
    // Start-up read the set once; five refreshes since found it unchanged.
    await checksAfter(6);
    expect(reads.full).toBe(1);

    const created = await new Promise<alerting.Rule>((resolve, reject) =>
      viaB.createRule(
        {
          rule: alerting.Rule.fromPartial({
            user_id: 'alice',
            name: 'AAPL over 100',
            symbol: 'AAPL',
            cooldown_seconds: 0,
            enabled: true,
            condition: { kind: { $case: 'price_above', price_above: { price: 100 } } },
          }),
        },
        (err, res) => (err ? reject(err) : resolve(res.rule!)),
      ),
    );
    await waitFor(() => reads.full === 2);
    const checked = reads.full + reads.fingerprint;
    await checksAfter(checked + 5);
    expect(reads.full).toBe(2);

    // A evaluates the rule it read: a tick crossing 100 fires it there.
    for (const price of [90, 150])
      await busA.publish([
        buildEvent('market_data_update', {
          source: 'market-data',
          subject: 'AAPL',
          payload: market.Tick.fromPartial({ symbol: 'AAPL', price, timestamp: new Date().toISOString() }),
        }),
      ]);
    await waitFor(() => alertsOnA.some((a) => a.rule_id === created.id));
  });
});
