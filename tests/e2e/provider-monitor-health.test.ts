// Health checks of a real local HTTP provider over Kafka and PostgreSQL: status transitions with
// one change event each, the 80 % rate-limit alert, triggered jobs, status updates and the
// monitoring API of seed 004.
import * as grpc from '@grpc/grpc-js';
import { providers } from '@marketpulse/proto';
import type { ProviderMonitorHandle } from '@marketpulse/provider-monitor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../harness';
import {
  fakeProvider,
  monitorClient,
  newMonitorSlice,
  payloads,
  sleep,
  startMonitorOn,
  unary,
  type FakeProvider,
  type MonitorSlice,
} from './provider-monitor.kit';

let slice: MonitorSlice;
let service: ProviderMonitorHandle;
let client: providers.ProviderMonitorServiceClient;
let flaky: FakeProvider;
let limited: FakeProvider;

beforeAll(async () => {
  slice = await newMonitorSlice('provider-monitor-health');
  flaky = await fakeProvider(1200);
  limited = await fakeProvider();
  service = await startMonitorOn(slice, {
    MONITOR_STATUS_INTERVAL_MS: '1000',
    MONITOR_PROVIDERS: JSON.stringify([
      {
        name: 'Flaky',
        category: 'market_data',
        url: flaky.url,
        interval_seconds: 0.2,
        timeout_ms: 3000,
        degraded_latency_ms: 600,
        failures_before_offline: 2,
      },
      {
        name: 'Limited',
        category: 'news',
        url: limited.url,
        interval_seconds: 3600,
        rate_limit: { limit: 10, per: 'hour' },
        api_key_env: 'E2E_LIMITED_KEY',
      },
    ]),
  });
  client = monitorClient(service.grpcPort);
});

afterAll(async () => {
  client?.close();
  await service?.close();
  await slice?.bus.close();
  await slice?.db.drop();
  await flaky?.close();
  await limited?.close();
});

const changesOf = (name: string) =>
  payloads(slice, 'provider_status_change')
    .filter((c) => c.provider_status_change.provider === name)
    .map((c) => c.provider_status_change);

describe('provider-monitor over Kafka and PostgreSQL', () => {
  it('drives online -> degraded -> offline -> online with one change event each', async () => {
    const get = () => unary<providers.GetProviderResponse>((cb) => client.getProvider({ name: 'flaky' }, cb));
    await waitFor(async () => (await get()).provider?.status === 'online', { timeoutMs: 15_000, what: 'Flaky online' });
    flaky.mode = 'slow';
    await waitFor(() => changesOf('Flaky').length >= 1, { timeoutMs: 15_000, what: 'Flaky degraded' });
    flaky.mode = 'fail';
    await waitFor(() => changesOf('Flaky').length >= 2, { timeoutMs: 15_000, what: 'Flaky offline' });
    expect((await get()).provider).toMatchObject({ status: 'offline', last_error: expect.stringContaining('HTTP 503') });
    flaky.mode = 'fast';
    await waitFor(() => changesOf('Flaky').length >= 3, { timeoutMs: 15_000, what: 'Flaky online again' });
    // Three more checks, counted rather than slept for, and no more changes.
    const checks = flaky.requests;
    await waitFor(() => flaky.requests >= checks + 3, { timeoutMs: 15_000, what: 'three more checks of Flaky' });
    expect((await get()).provider?.status).toBe('online');
    expect(changesOf('Flaky').map((c) => `${c.old_status}->${c.new_status}`)).toEqual([
      'online->degraded',
      'degraded->offline',
      'offline->online',
    ]);
    expect(changesOf('Flaky')[1].details).toMatchObject({ error: 'http_error', http_status_code: '503' });
    const logs = payloads(slice, 'system_log').map((l) => l.system_log);
    expect(logs.some((l) => l.level === 'ERROR' && l.module === 'HealthChecker' && l.message.includes('Flaky is offline'))).toBe(true);

    const { stats } = await unary<providers.GetProviderStatsResponse>((cb) => client.getProviderStats({ name: 'Flaky', hours: 1 }, cb));
    expect(stats).toMatchObject({ provider: 'Flaky', hours: 1, last_error: expect.stringContaining('503') });
    expect(stats!.failed_requests).toBeGreaterThanOrEqual(2);
    expect(stats!.total_requests).toBe(stats!.successful_requests + stats!.failed_requests);
    expect(stats!.max_response_time_ms).toBeGreaterThanOrEqual(1200);
    expect(stats!.data_collections).toBeGreaterThan(0);

    for (const type of ['connection', 'failure', 'collection']) {
      const res = await unary<providers.ListLogsResponse>((cb) =>
        client.listLogs({ log_type: type, hours: 1, limit: 3, provider: 'Flaky' }, cb),
      );
      expect(res.count, type).toBeGreaterThan(0);
      expect(res.logs.length).toBeLessThanOrEqual(3);
    }
    const failures = await unary<providers.ListLogsResponse>((cb) =>
      client.listLogs({ log_type: 'failure', hours: 1, limit: 1, provider: '' }, cb),
    );
    expect(failures.logs[0]).toMatchObject({ provider: 'Flaky', error_type: 'http_error', http_status_code: 503 });
    const analytics = await unary<providers.GetFailureAnalyticsResponse>((cb) => client.getFailureAnalytics({ hours: 1 }, cb));
    expect(analytics.top_failing_providers[0]).toMatchObject({ provider: 'Flaky' });
    expect(analytics.error_type_distribution[0]).toMatchObject({ error_type: 'http_error', percentage: 100 });
    // One outage, recorded just after the change to offline was published and ended by the change back online.
    const publishedAt = (to: string) =>
      Date.parse(
        slice.emitted.find(
          ({ event: e }) =>
            e.payload?.$case === 'provider_status_change' &&
            e.payload.provider_status_change.provider === 'Flaky' &&
            e.payload.provider_status_change.new_status === to,
        )!.event.time!,
      );
    expect(analytics.recent_outages).toHaveLength(1);
    const [outage] = analytics.recent_outages;
    expect(outage).toMatchObject({ provider: 'Flaky', previous_status: 'degraded' });
    expect(Date.parse(outage.started_at!)).toBeGreaterThanOrEqual(publishedAt('offline'));
    expect(Date.parse(outage.started_at!)).toBeLessThan(publishedAt('online'));
    expect(Date.parse(outage.ended_at!)).toBeGreaterThanOrEqual(publishedAt('online'));
    expect(outage.duration_seconds).toBeCloseTo((Date.parse(outage.ended_at!) - Date.parse(outage.started_at!)) / 1000, 1);
    expect(analytics.remediation_suggestions.every((r) => !r.issue.includes('went offline'))).toBe(true);
  });

  it('raises exactly one rate_limit_alert when a provider reaches 80 % of its limit', async () => {
    const alerts = () => payloads(slice, 'rate_limit_alert').map((a) => a.rate_limit_alert);
    // One check ran at start; each trigger is one more call against the limit of 10 per hour.
    while (limited.requests < 7) await unary((cb) => client.triggerJob({ job_id: 'health_checks' }, cb));
    await sleep(1000);
    expect(alerts()).toHaveLength(0);
    await unary((cb) => client.triggerJob({ job_id: 'health_checks' }, cb));
    await waitFor(() => alerts().length, { timeoutMs: 10_000, what: 'the rate limit alert' });
    await unary((cb) => client.triggerJob({ job_id: 'health_checks' }, cb));
    await unary((cb) => client.triggerJob({ job_id: 'rate_limit_snapshot' }, cb));
    await sleep(1500);
    expect(alerts()).toEqual([{ provider: 'Limited', used: 8, limit: 10, percentage: 80, severity: 'warning', limit_type: 'per_hour' }]);
    const { rate_limit } = await unary<providers.GetRateLimitResponse>((cb) => client.getRateLimit({ provider: 'Limited' }, cb));
    expect(rate_limit).toMatchObject({
      provider: 'Limited',
      limit_type: 'per_hour',
      limit_value: 10,
      current_usage: 9,
      percentage: 90,
      status: 'warning',
    });
    expect(rate_limit!.reset_in_seconds).toBeGreaterThan(3000);
    const rl = await unary<providers.ListLogsResponse>((cb) =>
      client.listLogs({ log_type: 'rate_limit', hours: 1, limit: 10, provider: 'Limited' }, cb),
    );
    expect(rl.logs[0]).toMatchObject({ provider: 'Limited', limit_value: 10, current_usage: 9 });
  });

  it('runs a triggered job at once and lists every job', async () => {
    const status = () => unary<providers.GetSchedulerStatusResponse>((cb) => client.getSchedulerStatus({}, cb));
    const cleanup = async () => (await status()).jobs.find((j) => j.id === 'cleanup')!;
    expect((await status()).jobs.map((j) => j.id).sort()).toEqual(['cleanup', 'health_checks', 'metrics_snapshot', 'rate_limit_snapshot']);
    const before = await cleanup();
    expect(before.interval_seconds).toBe(3600);
    // Its interval is an hour: a run now is the trigger's.
    const res = await unary<providers.TriggerJobResponse>((cb) => client.triggerJob({ job_id: 'cleanup' }, cb));
    expect(res).toMatchObject({ job_id: 'cleanup', status: 'triggered' });
    expect(await cleanup()).toMatchObject({ run_count: before.run_count + 1, last_status: 'success' });
    await expect(unary((cb) => client.triggerJob({ job_id: 'backup' }, cb))).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
      details: expect.stringContaining('known jobs'),
    });
  });

  it('publishes status_update on the configured interval with provider counts', async () => {
    const updates = () => payloads(slice, 'status_update');
    const n = updates().length;
    await waitFor(() => updates().length >= n + 3, { timeoutMs: 10_000, what: 'three more status updates' });
    const recent = updates().slice(-3);
    const gaps = recent.slice(1).map((u, i) => u.at - recent[i].at);
    for (const g of gaps) {
      expect(g).toBeGreaterThan(500);
      expect(g).toBeLessThan(2000);
    }
    // The service runs in this process, so its pid is ours.
    const processHost = {
      process: { pid: process.pid, heap_used_bytes: expect.stringMatching(/^[1-9]\d*$/) },
      host: { cpus: expect.any(Number), memory_total_bytes: expect.stringMatching(/^[1-9]\d*$/) },
    };
    expect(recent[2].status_update.system_metrics).toMatchObject({
      total_providers: 2,
      online_count: 2,
      system_health: 'healthy',
      ...processHost,
    });
    expect(recent[2].status_update.system_metrics!.host!.cpus).toBeGreaterThan(0);
    const history = await unary<providers.GetMetricsHistoryResponse>((cb) => client.getMetricsHistory({ hours: 1 }, cb));
    expect(history.metrics.length).toBeGreaterThanOrEqual(3);
    expect(history.metrics.at(-1)).toMatchObject(processHost);
  });

  it('answers the rest of the monitoring API', async () => {
    const list = await unary<providers.ListProvidersResponse>((cb) =>
      client.listProviders({ category: 'news', status: '', search: '' }, cb),
    );
    expect(list.providers.map((p) => p.name)).toEqual(['Limited']);
    expect(list.providers[0]).toMatchObject({ has_key: true, api_key_masked: '', check_interval_seconds: 3600 });
    const status = await unary<providers.GetStatusResponse>((cb) => client.getStatus({}, cb));
    expect(status).toMatchObject({ total_apis: 2, online: 2, offline: 0, system_health: 'healthy' });
    const limits = await unary<providers.ListRateLimitsResponse>((cb) => client.listRateLimits({}, cb));
    expect(limits.rate_limits.map((r) => r.provider)).toEqual(['Limited']);
    const db = await unary<providers.GetDatabaseStatsResponse>((cb) => client.getDatabaseStats({}, cb));
    expect(db.engine).toBe('postgres');
    expect(db.tables.find((t) => t.name === 'logs')!.row_count).not.toBe('0');
    const health = await unary<providers.GetDatabaseHealthResponse>((cb) => client.getDatabaseHealth({}, cb));
    expect(health).toMatchObject({ status: 'healthy', engine: 'postgres', version: expect.stringMatching(/^PostgreSQL \d+(\.\d+)?$/) });
    const cfg = await unary<providers.GetConfigStatsResponse>((cb) => client.getConfigStats({}, cb));
    expect(cfg).toMatchObject({
      total_providers: 2,
      providers_requiring_key: 1,
      providers_with_key: 0,
      providers_with_rate_limit: 1,
      scheduler_jobs: 4,
    });
    await expect(unary((cb) => client.getProvider({ name: 'nobody' }, cb))).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    await expect(unary((cb) => client.listLogs({ log_type: 'debug', hours: 1, limit: 1, provider: '' }, cb))).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
    });
    await expect(unary((cb) => client.getProviderStats({ name: 'Flaky', hours: -5 }, cb))).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
    });
  });
});
