import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { events, providers } from '@marketpulse/proto';
import { MemoryBroker, MemoryBus, createLogger, openDatabase } from '@marketpulse/runtime';
import { expect, it } from 'vitest';
import { loadConfig } from './config';
import { startProviderMonitor } from './service';

// An upstream's status line is the upstream's text: Node passes NUL in it on, and PostgreSQL
// refuses NUL. Stored as it came, every check of the provider failed to be written, so it never
// went offline and the scheduler logged the database's error every round instead.

it('takes a provider whose upstream answers NUL in its status text offline, and lists the failure', async () => {
  const upstream = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => socket.end('HTTP/1.1 503 Down\u0000Now\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno'));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const dir = mkdtempSync(join(tmpdir(), 'provider-monitor-upstream-'));
  const db = await openDatabase({ service: 'provider_monitor', dataDir: dir });
  const bus = new MemoryBus({ broker: new MemoryBroker(), topicPrefix: 't.' });
  const seen: events.Event[] = [];
  await bus.subscribe({
    groupId: 'observer',
    types: ['provider_status_change', 'system_log'],
    handler: async (d) => void seen.push(d.event),
  });
  const config = loadConfig({
    GRPC_PORT: '0',
    MARKET_DATA_GRPC_ADDR: '',
    ALERTING_GRPC_ADDR: '',
    MONITOR_PROVIDERS: JSON.stringify([
      {
        name: 'garbled',
        url: `http://127.0.0.1:${(upstream.address() as net.AddressInfo).port}/health`,
        interval_seconds: 0.1,
        failures_before_offline: 2,
      },
    ]),
  });
  const handle = await startProviderMonitor(config, { bus, db, logger: createLogger('pm-test', {}, { level: 'silent' }) });
  try {
    const offline = () =>
      seen.find((e) => e.payload?.$case === 'provider_status_change' && e.payload.provider_status_change.new_status === 'offline');
    for (let i = 0; i < 400 && !offline(); i++) await new Promise((r) => setTimeout(r, 25));
    // The scheduler's own errors: the announced change is an ERROR line too.
    const errors = seen.flatMap((e) =>
      e.payload?.$case === 'system_log' && e.payload.system_log.level === 'ERROR' && e.payload.system_log.module === 'Scheduler'
        ? [e.payload.system_log.message]
        : [],
    );
    expect(errors).toEqual([]);
    expect(offline()).toBeDefined();
    const { logs } = await handle.api.listLogs(
      providers.ListLogsRequest.fromPartial({ log_type: 'failure', hours: 1, limit: 5, provider: 'garbled' }),
    );
    expect(logs[0]).toMatchObject({ provider: 'garbled', error_type: 'http_error', http_status_code: 503 });
    expect(logs[0].error_message).toContain('Down\uFFFDNow');
  } finally {
    await handle.close();
    await bus.close();
    await db.close();
    upstream.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);
