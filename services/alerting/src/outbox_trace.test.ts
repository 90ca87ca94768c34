import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { events } from '@marketpulse/proto';
import {
  MemoryBroker,
  MemoryBus,
  createLogger,
  openDatabase,
  type Database,
  type DeliveredEvent,
  switchableBus,
  type SwitchableBus,
} from '@marketpulse/runtime';
import { context, propagation, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config';
import { startAlerting, type AlertingHandle } from './service';

// An alert stored while the bus was away is published later by the outbox retry round, on a timer
// with no trace of its own: it must still continue the trace of the event that raised it.

const TICK_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

let dir: string;
let db: Database;
let bus: MemoryBus;
let handle: AlertingHandle;
/** The service's bus: `away` makes its publishes fail, as with the broker away. */
let publishing: SwitchableBus;
const alerts: DeliveredEvent[] = [];

const until = async (ok: () => boolean, ms = 3000) => {
  for (const end = Date.now() + ms; !ok();) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  dir = mkdtempSync(join(tmpdir(), 'alerting-trace-'));
  db = await openDatabase({ service: 'alerting', dataDir: dir });
  bus = new MemoryBus({ broker: new MemoryBroker(), topicPrefix: 't.' });
  await bus.subscribe({ groupId: 'observer', types: ['alert_triggered'], handler: async (d) => void alerts.push(d) });
  const config = loadConfig({
    GRPC_PORT: '0',
    MARKET_DATA_GRPC_ADDR: '',
    ALERT_KNOWN_SYMBOLS: 'AAPL',
    ALERT_SYSTEM_RULES: 'false',
    ALERT_OUTBOX_RETRY_MS: '100',
  });
  handle = await startAlerting(config, {
    bus: (publishing = switchableBus(bus)),
    db,
    logger: createLogger('alerting-test', {}, { level: 'silent' }),
  });
});

afterAll(async () => {
  await handle?.close();
  await bus?.close();
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
  context.disable();
  propagation.disable();
});

describe('alert outbox', () => {
  it('publishes an alert held back while the bus was away in the trace of the tick that raised it', async () => {
    await handle.api.createRule(
      {
        name: 'AAPL > 100',
        description: '',
        symbol: 'AAPL',
        severity: 'warning',
        enabled: true,
        system: false,
        condition: { type: 'price_above', price: 100 },
        cooldown_seconds: 60,
      },
      'u',
    );
    const tick = (id: string, price: number) =>
      events.Event.fromPartial({
        id,
        type: 'market_data_update',
        source: 'market-data',
        subject: 'AAPL',
        time: new Date().toISOString(),
        payload: { $case: 'market_data_update', market_data_update: { symbol: 'AAPL', price, timestamp: new Date().toISOString() } },
      });
    // The rule fires on the crossing: one tick below its level, then the traced one above.
    await bus.publish(tick('tick-below', 99));
    publishing.away = true;
    let stored = false;
    handle.engine.feed.once('alert', () => (stored = true));
    const producer = trace.wrapSpanContext({ traceId: TICK_TRACE, spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED });
    await context.with(trace.setSpan(context.active(), producer), () => bus.publish(tick('tick-above', 101)));
    await until(() => stored);
    // Stored, but the handler's publish failed: a few retry rounds fail too.
    await new Promise((r) => setTimeout(r, 300));
    expect(alerts).toHaveLength(0);

    publishing.away = false;
    await until(() => alerts.length === 1);
    expect(alerts[0].traceparent).toMatch(new RegExp(`^00-${TICK_TRACE}-[0-9a-f]{16}-01$`));
  });
});
