import type { providers } from '@marketpulse/proto';
import type { HistoryStore } from './store/history_store';
import type { LogStore } from './store/log_store';
import type { ProcessHostSampler } from './metrics/process_host';
import type { MonitorApi } from './monitor_api';
import type { ProviderMonitor } from './monitor';
import type { Publisher } from './publisher';
import type { JobDefinition } from './scheduler/scheduler';

export interface JobDeps {
  monitor: ProviderMonitor;
  api: MonitorApi;
  logs: LogStore;
  history: HistoryStore;
  publisher: Publisher;
  sampler: ProcessHostSampler;
  /** Registers market-data feeds not seen before; undefined when market-data is not monitored. */
  discoverFeeds: (() => Promise<void>) | undefined;
  /** Unacknowledged alerts of the last hour, from the alerting service. */
  alertCount: () => Promise<number>;
  statusIntervalMs: number;
  rateLimitIntervalMs: number;
  cleanupIntervalMs: number;
  retentionHours: number;
  defaultCheckIntervalSeconds: number;
}

/** The scheduler's jobs (seed 004's ids): health checks, status snapshot, rate-limit snapshot, cleanup. */
export function monitorJobs(d: JobDeps): JobDefinition[] {
  return [
    {
      id: 'health_checks',
      name: 'Provider health checks',
      // Ticks at the shortest provider interval; each provider is checked when it is due, all when triggered.
      interval_ms: d.monitor.shortestIntervalSeconds(d.defaultCheckIntervalSeconds) * 1000,
      run: async ({ triggered }) => {
        await d.discoverFeeds?.();
        await d.monitor.checkDue(triggered);
      },
    },
    {
      id: 'metrics_snapshot',
      name: 'System status snapshot (status_update)',
      interval_ms: d.statusIntervalMs,
      run: async () => {
        const counts = await d.logs.requestCounts(1);
        const metrics: providers.SystemMetrics = {
          ...d.api.currentMetrics(
            counts.reduce((a, c) => a + c.total, 0),
            counts.reduce((a, c) => a + c.failed, 0),
          ),
          ...d.sampler.sample(),
        };
        const alertCount = await d.alertCount();
        await d.history.addMetrics(metrics);
        const ok = await d.publisher.publish([d.publisher.statusUpdate({ system_metrics: metrics, alert_count: alertCount })]);
        if (!ok) throw new Error('status_update could not be published: the bus is unavailable');
      },
    },
    {
      id: 'rate_limit_snapshot',
      name: 'Rate-limit usage snapshot',
      interval_ms: d.rateLimitIntervalMs,
      run: () => d.monitor.rateLimitSnapshot(),
    },
    {
      id: 'cleanup',
      name: 'Data cleanup (retention)',
      interval_ms: d.cleanupIntervalMs,
      run: async () => {
        const removed = (await d.logs.deleteOlderThan(d.retentionHours)) + (await d.history.deleteOlderThan(d.retentionHours));
        if (removed) {
          await d.publisher.publish([
            d.publisher.systemLog('INFO', 'DataCleanup', `Removed ${removed} records older than ${d.retentionHours} h`),
          ]);
        }
      },
    },
  ];
}
