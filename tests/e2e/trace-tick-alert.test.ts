import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { alerting } from '@marketpulse/proto';
import { createClient } from '@marketpulse/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  ensureZipkin,
  freePort,
  kafkaBrokers,
  uniqueTopicPrefix,
  waitFor,
  type ManagedProcess,
  type TestDatabase,
} from '../harness';
import { SECRET, tokenFor } from './api.kit';
import { readTraceWith, startTracedGateway, startTracedService, WsListener, type Trace } from './trace-support';

// A tick's journey in one trace: market-data starts the trace with the tick and publishes it,
// prediction folds it into a forecast, alerting sees the forecast cross a rule's level and raises
// an alert, and the gateway pushes the alert to a WebSocket client with the trace id of the tick.

const SYMBOL = 'TRC';

/** 10 ticks at 100 then 30 at 200, 100 ms apart: the forecast crosses 150 upward once. */
function replayFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mp-trace-replay-'));
  const file = path.join(dir, 'ticks.csv');
  const start = Date.parse('2025-01-01T00:00:00Z');
  const rows = Array.from({ length: 40 }, (_, i) => {
    const price = i < 10 ? 100 : 200;
    return `${SYMBOL},${price},${price - 0.01},${price + 0.01},10,${new Date(start + i * 100).toISOString()}`;
  });
  fs.writeFileSync(file, ['symbol,price,bid,ask,volume,time', ...rows].join('\n') + '\n');
  return file;
}

describe('one trace from a market-data tick to the alert a WebSocket client receives', () => {
  let zipkin: string;
  let prefix: string;
  const dbs: TestDatabase[] = [];
  const procs: ManagedProcess[] = [];
  let ws: WsListener | undefined;
  let replay: string;

  beforeAll(async () => {
    zipkin = await ensureZipkin();
    prefix = uniqueTopicPrefix('trace-tick');
    replay = replayFile();
    const names = ['trace-market', 'trace-prediction', 'trace-alerting', 'trace-gateway'] as const;
    const [mdDb, predDb, alDb, gwDb] = await Promise.all(names.map((n) => createTestDatabase(n)));
    dbs.push(mdDb, predDb, alDb, gwDb);
    const [gatewayPort, predictionPort, alertingPort, marketPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const common = { BUS: 'kafka', KAFKA_BROKERS: kafkaBrokers(), KAFKA_TOPIC_PREFIX: prefix, METRICS_PORT: '0' };

    // Consumers first (each new group starts at the end of its topics), the tick source last.
    procs.push(
      await startTracedGateway(zipkin, {
        ...common,
        DATABASE_URL: gwDb.url,
        GATEWAY_PORT: String(gatewayPort),
        PUBLISH_GRPC_PORT: '0',
        JWT_SECRET: SECRET,
      }),
      await startTracedService(zipkin, 'services/alerting', {
        ...common,
        DATABASE_URL: alDb.url,
        GRPC_PORT: String(alertingPort),
        MARKET_DATA_ADDR: '',
        ALERT_KNOWN_SYMBOLS: SYMBOL,
        ALERT_SYSTEM_RULES: 'false',
      }),
      await startTracedService(zipkin, 'services/prediction', {
        ...common,
        DATABASE_URL: predDb.url,
        GRPC_PORT: String(predictionPort),
        PREDICTION_INTERVAL_MS: '300',
      }),
    );

    const rules = createClient(alerting.AlertingServiceClient, `127.0.0.1:${alertingPort}`, { deadlineMs: 10_000 });
    await new Promise<alerting.CreateRuleResponse>((resolve, reject) =>
      rules.createRule(
        {
          rule: alerting.Rule.fromPartial({
            user_id: 'trace-user',
            name: `${SYMBOL} forecast above 150`,
            symbol: SYMBOL,
            severity: 'warning',
            enabled: true,
            cooldown_seconds: 3600,
            condition: {
              kind: { $case: 'prediction_crossing', prediction_crossing: { level: 150, direction: 'above', horizon_seconds: 0 } },
            },
          }),
        },
        (err, res) => (err ? reject(err) : resolve(res)),
      ),
    );
    rules.close();
    // The alert of trace-user's rule is theirs alone (Event.owner): the client connects as them.
    ws = await WsListener.open(`ws://127.0.0.1:${gatewayPort}/ws/alerts?token=${tokenFor('trace-user')}`);
    await waitFor(() => ws!.ofType('connected').length > 0, { what: 'the /ws/alerts welcome' });

    procs.push(
      await startTracedService(zipkin, 'services/market-data', {
        ...common,
        DATABASE_URL: mdDb.url,
        GRPC_PORT: String(marketPort),
        MARKET_PROVIDER: 'replay',
        MARKET_REPLAY_FILE: replay,
        MARKET_REPLAY_SPEED: '1',
        MARKET_REPLAY_REBASE: 'true',
        MARKET_SYMBOLS: SYMBOL,
      }),
    );
  }, 400_000);

  afterAll(async () => {
    ws?.close();
    await Promise.all(procs.map((p) => p.stop(10_000)));
    await Promise.all(dbs.map((d) => d.drop()));
    if (replay) fs.rmSync(path.dirname(replay), { recursive: true, force: true });
  });

  it('links the tick, the forecast, the alert and the WebSocket message', async () => {
    const alert = await waitFor(() => ws!.ofType('alert')[0], { timeoutMs: 45_000, what: 'an alert on /ws/alerts' });
    const traceId = String(alert.trace_id);
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);

    const topic = (type: string) => `${prefix}${type}`.toLowerCase();
    const spansOf = (t: Trace) => {
      const tick = t.one('market-data', 'tick', (s) => s.name === 'market-data tick');
      const produce = t.one(
        'market-data',
        'tick produce',
        (s) => s.kind === 'PRODUCER' && s.name === `send ${topic('market_data_update')}`,
      );
      const ingest = t.one(
        'prediction',
        'tick consume',
        (s) => s.kind === 'CONSUMER' && s.name === `process ${topic('market_data_update')}`,
      );
      const forecast = t.one(
        'prediction',
        'forecast produce',
        (s) => s.kind === 'PRODUCER' && s.name === `send ${topic('prediction_complete')}`,
      );
      const evaluate = t.one(
        'alerting',
        'forecast consume',
        (s) => s.kind === 'CONSUMER' && s.name === `process ${topic('prediction_complete')}`,
      );
      const raise = t.one('alerting', 'alert produce', (s) => s.kind === 'PRODUCER' && s.name === `send ${topic('alert_triggered')}`);
      const push = t.one('gateway', 'alert consume', (s) => s.kind === 'CONSUMER' && s.name === `process ${topic('alert_triggered')}`);
      return { tick, produce, ingest, forecast, evaluate, raise, push };
    };
    const {
      trace,
      spans: { tick, produce, ingest, forecast, evaluate, raise, push },
    } = await readTraceWith(zipkin, traceId, spansOf);
    expect(trace.roots().map((s) => s.id)).toEqual([tick.id]);
    expect(produce.parentId).toBe(tick.id);
    expect(ingest.parentId).toBe(produce.id);
    expect(trace.isBelow(forecast, ingest)).toBe(true);
    expect(evaluate.parentId).toBe(forecast.id);
    expect(trace.isBelow(raise, evaluate)).toBe(true);
    expect(push.parentId).toBe(raise.id);
    expect(tick.tags).toMatchObject({ 'marketpulse.event.subject': SYMBOL, 'marketpulse.market.provider': 'replay' });
    expect(tick.tags?.['messaging.message.id']).toBe(produce.tags?.['messaging.message.id']);
    expect(produce.tags).toMatchObject({ 'marketpulse.event.type': 'market_data_update', 'marketpulse.event.subject': SYMBOL });
    expect(evaluate.tags).toMatchObject({ 'marketpulse.event.type': 'prediction_complete', 'marketpulse.event.subject': SYMBOL });
  }, 90_000);
});
