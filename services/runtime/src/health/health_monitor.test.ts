import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../log/logger';
import type { ComponentHealth } from './component_health';
import { HealthMonitor } from './health_monitor';

function setup() {
  const logs: { level: string; msg: string; component?: string }[] = [];
  const logger = createLogger(
    'test',
    {},
    {
      destination: new Writable({
        write(chunk, _e, done) {
          logs.push(JSON.parse(String(chunk)));
          done();
        },
      }),
    },
  );
  let db: ComponentHealth = { ok: true, detail: 'db up' };
  const grpcStatuses: string[] = [];
  const monitor = new HealthMonitor({
    intervalMs: 60_000,
    logger,
    components: [
      { name: 'database', check: async () => db },
      { name: 'bus', check: async () => ({ ok: true, detail: 'bus up' }) },
    ],
    grpcHealth: { setAll: (s) => grpcStatuses.push(s) },
  });
  return { monitor, logs, grpcStatuses, setDb: (h: ComponentHealth) => (db = h) };
}

describe('HealthMonitor', () => {
  it('is degraded until the first round, then ok when every component is ok', async () => {
    const { monitor, grpcStatuses } = setup();
    expect(monitor.snapshot().status).toBe('degraded');
    await monitor.checkNow();
    const snap = monitor.snapshot();
    expect(snap.status).toBe('ok');
    expect(snap.components.map((c) => [c.name, c.ok, c.detail])).toEqual([
      ['database', true, 'db up'],
      ['bus', true, 'bus up'],
    ]);
    expect(grpcStatuses).toEqual(['SERVING']);
  });

  it('turns NOT_SERVING when one component fails and logs each transition once', async () => {
    const { monitor, logs, grpcStatuses, setDb } = setup();
    await monitor.checkNow();
    setDb({ ok: false, detail: 'connection refused' });
    await monitor.checkNow();
    await monitor.checkNow();
    await monitor.checkNow();
    expect(monitor.snapshot().status).toBe('degraded');
    expect(monitor.snapshot().components[0]).toMatchObject({ name: 'database', ok: false, detail: 'connection refused' });
    setDb({ ok: true, detail: 'db up' });
    await monitor.checkNow();
    expect(grpcStatuses).toEqual(['SERVING', 'NOT_SERVING', 'SERVING']);
    expect(logs.filter((l) => l.component === 'database').map((l) => `${l.level}:${l.msg}`)).toEqual([
      'warn:component unhealthy',
      'info:component healthy again',
    ]);
  });

  it('marks a hung check as failed after the timeout', async () => {
    const logger = createLogger('test', {}, { level: 'silent' });
    const monitor = new HealthMonitor({
      intervalMs: 60_000,
      checkTimeoutMs: 50,
      logger,
      components: [{ name: 'stuck', check: () => new Promise<ComponentHealth>(() => undefined) }],
    });
    await monitor.checkNow();
    expect(monitor.snapshot().components[0]).toMatchObject({ ok: false, detail: 'health check timed out after 50 ms' });
  });
});
