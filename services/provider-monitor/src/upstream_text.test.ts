import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { events, providers } from '@marketpulse/proto';
import { MemoryBroker, MemoryBus, createLogger, openDatabase } from '@marketpulse/runtime';
import { afterEach, expect, it } from 'vitest';
import { loadConfig } from './config';
import { startProviderMonitor, type ProviderMonitorHandle } from './service';

// What an upstream answers is the upstream's to choose. Its status line's text reaches the failure
// logs, and Node passes NUL in it on, which PostgreSQL refuses; its X-RateLimit-* headers reach the
// contracts' int32 usage fields; its redirects pointed the probe anywhere; its body could be endless.
// Each ended up failing writes or answers, or worse, until it was checked.

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** An upstream that answers every request with `response`, raw bytes on the socket. */
async function upstream(response: string): Promise<string> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => socket.end(response));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => void server.close());
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/health`;
}

async function startMonitor(provider: Record<string, unknown>): Promise<{ handle: ProviderMonitorHandle; seen: events.Event[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'provider-monitor-upstream-'));
  const db = await openDatabase({ service: 'provider_monitor', dataDir: dir });
  const bus = new MemoryBus({ broker: new MemoryBroker(), topicPrefix: 't.' });
  const seen: events.Event[] = [];
  await bus.subscribe({
    groupId: 'observer',
    types: ['provider_status_change', 'rate_limit_alert', 'system_log'],
    handler: async (d) => void seen.push(d.event),
  });
  const config = loadConfig({
    GRPC_PORT: '0',
    MARKET_DATA_GRPC_ADDR: '',
    ALERTING_GRPC_ADDR: '',
    MONITOR_PROVIDERS: JSON.stringify([{ interval_seconds: 0.1, ...provider }]),
  });
  const handle = await startProviderMonitor(config, { bus, db, logger: createLogger('pm-test', {}, { level: 'silent' }) });
  cleanups.push(async () => {
    await handle.close();
    await bus.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { handle, seen };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await new Promise((r) => setTimeout(r, 25));
}

/** The scheduler's own errors (an announced status change is an ERROR line too). */
const schedulerErrors = (seen: events.Event[]) =>
  seen.flatMap((e) =>
    e.payload?.$case === 'system_log' && e.payload.system_log.level === 'ERROR' && e.payload.system_log.module === 'Scheduler'
      ? [e.payload.system_log.message]
      : [],
  );

it('takes a provider whose upstream answers NUL in its status text offline, and lists the failure', async () => {
  const url = await upstream('HTTP/1.1 503 Down\u0000Now\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno');
  const { handle, seen } = await startMonitor({ name: 'garbled', url, failures_before_offline: 2 });
  const offline = () =>
    seen.find((e) => e.payload?.$case === 'provider_status_change' && e.payload.provider_status_change.new_status === 'offline');
  await until(() => offline() !== undefined);
  expect(schedulerErrors(seen)).toEqual([]);
  expect(offline()).toBeDefined();
  const { logs } = await handle.api.listLogs(
    providers.ListLogsRequest.fromPartial({ log_type: 'failure', hours: 1, limit: 5, provider: 'garbled' }),
  );
  expect(logs[0]).toMatchObject({ provider: 'garbled', error_type: 'http_error', http_status_code: 503 });
  expect(logs[0].error_message).toContain('Down\uFFFDNow');
}, 30_000);

it("raises the rate-limit alert and answers ListRateLimits when an upstream reports a usage beyond int32's", async () => {
  const url = await upstream(
    'HTTP/1.1 200 OK\r\nX-RateLimit-Limit: 5000000000\r\nX-RateLimit-Remaining: 0\r\nContent-Length: 2\r\nConnection: close\r\n\r\n[]',
  );
  const { handle, seen } = await startMonitor({ name: 'boastful', url, rate_limit: { limit: 100, per: 'minute' } });
  const alert = () => seen.find((e) => e.payload?.$case === 'rate_limit_alert');
  await until(() => alert() !== undefined);
  expect(alert()?.payload).toMatchObject({ rate_limit_alert: { provider: 'boastful', used: 2 ** 31 - 1, limit: 100 } });
  const listed = providers.ListRateLimitsResponse.decode(providers.ListRateLimitsResponse.encode(handle.api.listRateLimits()).finish());
  expect(listed.rate_limits.find((r) => r.provider === 'boastful')).toMatchObject({ current_usage: 2 ** 31 - 1, limit_value: 100 });
  expect(schedulerErrors(seen)).toEqual([]);
}, 30_000);

it("does not follow an upstream's redirect to an internal address, nor carry the provider's headers there", async () => {
  const internal: string[] = [];
  const inside = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', (data) => {
      internal.push(data.toString('latin1'));
      socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n[]');
    });
  });
  await new Promise<void>((resolve) => inside.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => void inside.close());
  const target = `http://127.0.0.1:${(inside.address() as net.AddressInfo).port}/latest/meta-data/iam`;
  const url = await upstream(`HTTP/1.1 302 Found\r\nLocation: ${target}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
  const { handle } = await startMonitor({ name: 'redirecting', url, headers: { 'x-api-key': 'provider-secret' } });
  const checked = new Set<number | undefined>();
  await until(() => checked.add(handle.monitor.get('redirecting')?.lastCheckAt).size > 4);
  expect(internal).toEqual([]);
  // The redirect is the upstream's answer (3xx counts as up unless expect_status says otherwise).
  expect(handle.monitor.get('redirecting')?.last).toMatchObject({ ok: true, http_status_code: 302 });
}, 30_000);

it('reads at most 1 MiB of an endless answer, so the check ends with the upstream up rather than timed out', async () => {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => {
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
      const chunk = `10000\r\n${'x'.repeat(0x10000)}\r\n`;
      let sent = 0;
      // Endless for the probe, bounded here: 256 MiB at most, and only while the probe reads.
      const pump = () => {
        while (!socket.destroyed && sent < 4096 && socket.write(chunk)) sent++;
        if (!socket.destroyed && sent < 4096) socket.once('drain', pump);
      };
      pump();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => void server.close());
  const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/health`;
  const { handle } = await startMonitor({ name: 'endless', url, timeout_ms: 20_000, interval_seconds: 3600 });
  await until(() => handle.monitor.get('endless')?.last !== undefined);
  expect(handle.monitor.get('endless')?.last).toMatchObject({ ok: true, http_status_code: 200, record_count: 1 });
}, 60_000);
