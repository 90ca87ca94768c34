import { EventEmitter } from 'node:events';
import { MemoryBroker, MemoryBus, createLogger } from '@marketpulse/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { LiveAlerts } from './live_alerts';
import { alertTriggeredEvent } from './published_events';
import type { AlertRecord } from './store/alert_store';

const logger = createLogger('alerting-test', {}, { level: 'silent' });

const alert = (id: string): AlertRecord => ({
  id,
  rule_id: 'r1',
  rule_name: 'AAPL above 100',
  user_id: 'alice',
  alert_type: 'price_alert',
  condition: 'price_above',
  severity: 'warning',
  symbol: 'AAPL',
  provider: '',
  message: 'AAPL crossed above 100',
  values: { price: 101, threshold: 100 },
  timestamp: '2025-01-01T00:00:00.000Z',
  acknowledged: false,
  acknowledged_by: '',
  acknowledged_at: undefined,
  source_event_id: 'tick-1',
});

const settle = () => new Promise((r) => setTimeout(r, 50));

describe('LiveAlerts', () => {
  const started: LiveAlerts[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((l) => l.stop()));
  });

  async function instance(bus: MemoryBus, name: string) {
    const local = new EventEmitter();
    const live = new LiveAlerts({ bus, local, groupId: `stream-${name}`, logger });
    await live.start();
    started.push(live);
    const got: AlertRecord[] = [];
    live.listen((a) => got.push(a));
    return { local, got };
  }

  it("passes another instance's alerts from the bus and each instance's own alert once", async () => {
    const broker = new MemoryBroker();
    const a = await instance(new MemoryBus({ broker, topicPrefix: 't.' }), 'a');
    const bBus = new MemoryBus({ broker, topicPrefix: 't.' });
    const b = await instance(bBus, 'b');

    // B stores an alert (its engine emits it), then its outbox publishes it; the event is redelivered.
    const raised = alert('alert-1');
    b.local.emit('alert', raised);
    await bBus.publish(alertTriggeredEvent(raised, 'alerting'));
    await bBus.publish(alertTriggeredEvent(raised, 'alerting'));
    for (const deadline = Date.now() + 10_000; a.got.length === 0 || b.got.length === 0; await settle()) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the alert on both instances');
    }
    await settle(); // a second copy, were there one, would be here by now

    expect(a.got).toEqual([raised]);
    expect(b.got).toEqual([raised]);
  });

  it('forgets the oldest ids beyond its capacity, so memory stays bounded', async () => {
    const bus = new MemoryBus({ broker: new MemoryBroker(), topicPrefix: 't.' });
    const local = new EventEmitter();
    const live = new LiveAlerts({ bus, local, groupId: 'stream', logger, remember: 2 });
    await live.start();
    started.push(live);
    const got: string[] = [];
    const stop = live.listen((x) => got.push(x.id));
    for (const id of ['x', 'y', 'x', 'z', 'x']) local.emit('alert', alert(id));
    stop();
    local.emit('alert', alert('w'));
    expect(got).toEqual(['x', 'y', 'z', 'x']);
  });
});
