import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { events, providers } from '@marketpulse/proto';
import { MemoryBroker, MemoryBus, createLogger, openDatabase, type Database } from '@marketpulse/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config';
import { startProviderMonitor, type ProviderMonitorHandle } from './service';

/** A provider whose behaviour the test switches: fast, slow, failing. */
let mode: 'fast' | 'slow' | 'fail' = 'fast';
/**
 * The clock the probes time responses with. Only the provider moves it (a slow answer takes 1500 ms
 * of it), so measured latencies are exactly 0 or 1500 ms however busy the machine is.
 */
let clock = 0;
const SLOW_MS = 1500;
let http: Server;
let dir: string;
let db: Database;
let bus: MemoryBus;
let handle: ProviderMonitorHandle;
let client: providers.ProviderMonitorServiceClient;
const seen: events.Event[] = [];

const call = <Req, Res>(fn: (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => void, req: Req) =>
  new Promise<Res>((resolve, reject) => fn.call(client, req, (err, res) => (err ? reject(err) : resolve(res))));
const waitFor = async <T>(fn: () => T | undefined | false, ms = 20_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
};
const changes = (provider: string) =>
  seen.flatMap((e) =>
    e.payload?.$case === 'provider_status_change' && e.payload.provider_status_change.provider === provider
      ? [e.payload.provider_status_change]
      : [],
  );

beforeAll(async () => {
  http = createServer((req, res) => {
    if (req.url === '/limited') return void res.end('[1,2]');
    if (mode === 'fail') {
      res.statusCode = 503;
      return void res.end('down');
    }
    if (mode === 'slow') clock += SLOW_MS;
    res.end('{"ok":true}');
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  dir = mkdtempSync(join(tmpdir(), 'provider-monitor-'));
  db = await openDatabase({ service: 'provider_monitor', dataDir: dir });
  bus = new MemoryBus({ broker: new MemoryBroker(), topicPrefix: 't.' });
  await bus.subscribe({
    groupId: 'observer',
    types: ['provider_status_change', 'rate_limit_alert', 'status_update', 'system_log'],
    handler: async (d) => void seen.push(d.event),
  });
  const config = loadConfig({
    GRPC_PORT: '0',
    MARKET_DATA_GRPC_ADDR: '',
    ALERTING_GRPC_ADDR: '',
    MONITOR_STATUS_INTERVAL_MS: '300',
    MONITOR_PROVIDERS: JSON.stringify([
      {
        name: 'flaky',
        // A key in the query: the operator's, never shown to users, logs or events.
        url: `${base}/health?apikey=FLAKYQUERYKEY`,
        interval_seconds: 0.1,
        degraded_latency_ms: 1000,
        timeout_ms: 5000,
        failures_before_offline: 2,
      },
      { name: 'limited', url: `${base}/limited`, interval_seconds: 3600, rate_limit: { limit: 5, per: 'hour' }, category: 'market_data' },
    ]),
  });
  handle = await startProviderMonitor(config, {
    bus,
    db,
    logger: createLogger('pm-test', {}, { level: 'silent' }),
    latencyClock: () => clock,
  });
  client = new providers.ProviderMonitorServiceClient(`127.0.0.1:${handle.grpcPort}`, grpc.credentials.createInsecure());
});

afterAll(async () => {
  client?.close();
  await handle?.close();
  await bus?.close();
  await db?.close();
  await new Promise((r) => http?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('provider-monitor (memory bus, PGlite, local HTTP provider)', () => {
  it('drives online -> degraded -> offline -> online with one change event each', async () => {
    await waitFor(() => handle.monitor.get('flaky')?.status.status === 'online');
    mode = 'slow';
    await waitFor(() => changes('flaky').length >= 1);
    mode = 'fail';
    await waitFor(() => changes('flaky').length >= 2);
    mode = 'fast';
    await waitFor(() => changes('flaky').length >= 3);
    // Three more checks, counted rather than slept for, and none of them changes the status.
    const checkedAt = new Set<number | undefined>([handle.monitor.get('flaky')!.lastCheckAt]);
    await waitFor(() => checkedAt.add(handle.monitor.get('flaky')!.lastCheckAt).size > 3);
    expect(changes('flaky').map((c) => `${c.old_status}->${c.new_status}`)).toEqual([
      'online->degraded',
      'degraded->offline',
      'offline->online',
    ]);

    const { provider } = await call<providers.GetProviderRequest, providers.GetProviderResponse>(client.getProvider, { name: 'FLAKY' });
    expect(provider).toMatchObject({ name: 'flaky', status: 'online', last_error: '' });
    const { stats } = await call<providers.GetProviderStatsRequest, providers.GetProviderStatsResponse>(client.getProviderStats, {
      name: 'flaky',
      hours: 1,
    });
    expect(stats!.failed_requests).toBeGreaterThanOrEqual(2);
    expect(stats!.successful_requests).toBeGreaterThan(0);
    const failures = await call<providers.ListLogsRequest, providers.ListLogsResponse>(client.listLogs, {
      log_type: 'failure',
      hours: 1,
      limit: 5,
      provider: 'flaky',
    });
    expect(failures.logs[0]).toMatchObject({ provider: 'flaky', error_type: 'http_error', http_status_code: 503 });
    expect(failures.logs[0]!.error_message).toMatch(/^HTTP 503 .* from http:\/\/127\.0\.0\.1:\d+\/health$/);
    // Before: the key was in GET /api/providers' endpoint and last_error, the check logs and the system_log events.
    expect(provider!.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/health$/);
    const shown = JSON.stringify([provider, failures, seen.map((e) => events.Event.toJSON(e))]);
    expect(shown).not.toContain('FLAKYQUERYKEY');
    const analytics = await call<providers.GetFailureAnalyticsRequest, providers.GetFailureAnalyticsResponse>(client.getFailureAnalytics, {
      hours: 1,
    });
    expect(analytics.top_failing_providers[0]).toMatchObject({ provider: 'flaky' });
    const [offline, online] = changes('flaky')
      .slice(1)
      .map((c) => seen.find((e) => e.payload?.$case === 'provider_status_change' && e.payload.provider_status_change === c)!);
    expect(analytics.recent_outages).toHaveLength(1);
    const [outage] = analytics.recent_outages;
    expect(outage).toMatchObject({ provider: 'flaky', previous_status: 'degraded' });
    // Stored when the change was announced, just after the event was built.
    expect(Date.parse(outage.started_at!)).toBeGreaterThanOrEqual(Date.parse(offline.time!));
    expect(Date.parse(outage.ended_at!)).toBeGreaterThanOrEqual(Date.parse(online.time!));
    expect(outage.duration_seconds).toBeCloseTo((Date.parse(outage.ended_at!) - Date.parse(outage.started_at!)) / 1000, 1);
    expect(analytics.remediation_suggestions.some((r) => /offline/.test(r.issue))).toBe(false);
  }, 90_000);

  it('raises one rate_limit_alert at 80 % of the limit', async () => {
    const alerts = () => seen.filter((e) => e.payload?.$case === 'rate_limit_alert');
    for (let i = 0; i < 6; i++) await call(client.triggerJob, { job_id: 'health_checks' });
    const [alert] = await waitFor(() => alerts().length > 0 && alerts());
    expect(alert.payload?.$case === 'rate_limit_alert' && alert.payload.rate_limit_alert).toMatchObject({
      provider: 'limited',
      used: 4,
      limit: 5,
      percentage: 80,
      severity: 'warning',
      limit_type: 'per_hour',
    });
    expect(alerts()).toHaveLength(1);
    const { rate_limit } = await call<providers.GetRateLimitRequest, providers.GetRateLimitResponse>(client.getRateLimit, {
      provider: 'limited',
    });
    expect(rate_limit).toMatchObject({ limit_value: 5, status: 'exceeded' });
  });

  it('runs a triggered job at once and lists the scheduler', async () => {
    const before = handle.scheduler.status().jobs.find((j) => j.id === 'cleanup')!.run_count;
    const res = await call<providers.TriggerJobRequest, providers.TriggerJobResponse>(client.triggerJob, { job_id: 'cleanup' });
    expect(res).toMatchObject({ job_id: 'cleanup', status: 'triggered' });
    const status = await call<providers.GetSchedulerStatusRequest, providers.GetSchedulerStatusResponse>(client.getSchedulerStatus, {});
    expect(status.jobs.find((j) => j.id === 'cleanup')).toMatchObject({ run_count: before + 1, last_status: 'success' });
    await expect(call(client.triggerJob, { job_id: 'nope' })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });

  it('publishes status updates on the configured interval and answers the other paths', async () => {
    const updates = () => seen.filter((e) => e.type === 'status_update');
    const n = updates().length;
    await waitFor(() => updates().length >= n + 2);
    const u = updates().at(-1)!;
    const processHost = {
      process: { pid: process.pid, rss_bytes: expect.stringMatching(/^[1-9]\d*$/) },
      host: { cpus: expect.any(Number), memory_total_bytes: expect.stringMatching(/^[1-9]\d*$/) },
    };
    expect(u.payload?.$case === 'status_update' && u.payload.status_update.system_metrics).toMatchObject({
      total_providers: 2,
      ...processHost,
    });
    const history = await call<providers.GetMetricsHistoryRequest, providers.GetMetricsHistoryResponse>(client.getMetricsHistory, {
      hours: 1,
    });
    expect(history.metrics.length).toBeGreaterThanOrEqual(2);
    expect(history.metrics.at(-1)).toMatchObject(processHost);
    expect(history.metrics.at(-1)!.host!.cpus).toBeGreaterThan(0);
    const dbStats = await call<providers.GetDatabaseStatsRequest, providers.GetDatabaseStatsResponse>(client.getDatabaseStats, {});
    expect(Number(dbStats.total_rows)).toBeGreaterThan(0);
    const dbHealth = await call<providers.GetDatabaseHealthRequest, providers.GetDatabaseHealthResponse>(client.getDatabaseHealth, {});
    // The release only: version() also names the platform and the compiler it was built with.
    expect(dbHealth).toMatchObject({ status: 'healthy', engine: 'pglite', version: expect.stringMatching(/^PostgreSQL \d+(\.\d+)?$/) });
    const cfg = await call<providers.GetConfigStatsRequest, providers.GetConfigStatsResponse>(client.getConfigStats, {});
    expect(cfg).toMatchObject({ total_providers: 2, providers_with_rate_limit: 1, scheduler_jobs: 4 });
    await expect(call(client.listLogs, { log_type: 'debug', hours: 0, limit: 0, provider: '' })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
    });
    expect(seen.some((e) => e.type === 'system_log')).toBe(true);
  });

  it('defaults the status interval to 10 s', () => {
    expect(loadConfig({}).MONITOR_STATUS_INTERVAL_MS).toBe(10_000);
  });
});
