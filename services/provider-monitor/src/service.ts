import { alerting, market } from '@marketpulse/proto';
import { createClient, startInServiceScope, type Database, type HealthMonitor, type ServiceScopeDeps } from '@marketpulse/runtime';
import type { ProviderMonitorConfig } from './config';
import { providerMonitorService } from './grpc/server';
import { monitorJobs } from './jobs';
import { ProcessHostSampler } from './metrics/process_host';
import { providerFigures } from './metrics/provider_figures';
import { registerProviderMetrics } from './metrics/provider_metrics';
import { ProviderMonitor } from './monitor';
import { MonitorApi } from './monitor_api';
import { HttpProbe, type LatencyClock } from './probes/probe_http';
import { MarketDataFeedProbe } from './probes/probe_market_data';
import { Publisher } from './publisher';
import { parseProviders, type ProviderDefaults } from './registry/provider_definition';
import { Scheduler } from './scheduler/scheduler';
import { HistoryStore } from './store/history_store';
import { LogStore } from './store/log_store';
import { migrations } from './store/migrations';

/** What a caller may lend the service (the one-process suite, tests); lent resources are left open on close. */
export interface ProviderMonitorDeps extends ServiceScopeDeps {
  db?: Database;
  /** The clock (ms) HTTP probes time responses with: a test drives it, so its latencies do not depend on the machine's load. */
  latencyClock?: LatencyClock;
}

export interface ProviderMonitorHandle {
  grpcPort: number;
  api: MonitorApi;
  monitor: ProviderMonitor;
  scheduler: Scheduler;
  health: HealthMonitor;
  close(): Promise<void>;
}

const unary = <Res>(fn: (cb: (err: Error | null, res: Res) => void) => void) =>
  new Promise<Res>((resolve, reject) => fn((err, res) => (err ? reject(err) : resolve(res))));

export async function startProviderMonitor(config: ProviderMonitorConfig, deps: ProviderMonitorDeps = {}): Promise<ProviderMonitorHandle> {
  const defaults: ProviderDefaults = {
    interval_seconds: config.MONITOR_CHECK_INTERVAL_SECONDS,
    timeout_ms: config.MONITOR_CHECK_TIMEOUT_MS,
    degraded_latency_ms: config.MONITOR_DEGRADED_LATENCY_MS,
    failures_before_offline: config.MONITOR_FAILURES_BEFORE_OFFLINE,
  };
  // Parse before opening anything: a bad MONITOR_PROVIDERS fails start-up with nothing to undo.
  const configured = parseProviders(config.MONITOR_PROVIDERS, defaults);

  return startInServiceScope('provider-monitor', config, deps, async (scope) => {
    const { logger, bus, db } = scope;
    await db.migrate(migrations);
    const logs = new LogStore(db);
    const history = new HistoryStore(db);
    const publisher = new Publisher(bus, config.SERVICE_NAME, logger);
    const monitor = new ProviderMonitor({ logs, history, publisher, rateLimitAlertPercentage: config.MONITOR_RATE_LIMIT_ALERT_PERCENTAGE });
    for (const def of configured) monitor.register(def, new HttpProbe(def, deps.latencyClock));
    const unregisterMetrics = registerProviderMetrics(() => providerFigures(monitor));
    scope.onClose(unregisterMetrics);

    let discoverFeeds: (() => Promise<void>) | undefined;
    if (config.MARKET_DATA_GRPC_ADDR) {
      const md = createClient(market.MarketDataServiceClient, config.MARKET_DATA_GRPC_ADDR, { deadlineMs: 3000 });
      scope.onClose(() => md.close());
      const stats = (provider: string) => unary<market.GetProviderStatsResponse>((cb) => md.getProviderStats({ provider }, cb));
      const feedStats = async (provider: string) => (await stats(provider)).providers.find((p) => p.provider === provider);
      let lastDiscovery = 0;
      discoverFeeds = async () => {
        if (Date.now() - lastDiscovery < 60_000) return;
        try {
          const feeds = (await stats('')).providers;
          // Only a successful look-up waits a minute: market-data starting after this service is found at the next check.
          lastDiscovery = Date.now();
          for (const feed of feeds) {
            if (monitor.has(feed.provider)) continue;
            const def = {
              ...defaults,
              name: feed.provider,
              category: 'market_data',
              kind: 'market_data_feed' as const,
              endpoint: `grpc://${config.MARKET_DATA_GRPC_ADDR}`,
              shown_endpoint: `grpc://${config.MARKET_DATA_GRPC_ADDR}`,
              method: 'GetProviderStats',
              expect_status: [],
              headers: {},
              rate_limit: undefined,
              api_key_env: undefined,
            };
            monitor.register(def, new MarketDataFeedProbe(feed.provider, feedStats));
            logger.info({ provider: feed.provider }, 'monitoring market-data feed');
          }
        } catch (err) {
          logger.debug({ err: String(err) }, 'market-data not reachable for feed discovery');
        }
      };
    }

    let alertCount = async () => 0;
    if (config.ALERTING_GRPC_ADDR) {
      const al = createClient(alerting.AlertingServiceClient, config.ALERTING_GRPC_ADDR, { deadlineMs: 2000 });
      scope.onClose(() => al.close());
      alertCount = async () => {
        try {
          const res = await unary<alerting.ListAlertsResponse>((cb) =>
            al.listAlerts(alerting.ListAlertsRequest.fromPartial({ acknowledged: false, hours: 1, limit: 1000 }), cb),
          );
          return res.alerts.length;
        } catch {
          return 0;
        }
      };
    }

    const scheduler = new Scheduler((jobId, err) => {
      void publisher.publish([
        publisher.systemLog('ERROR', 'Scheduler', `Job ${jobId} failed: ${err instanceof Error ? err.message : String(err)}`),
      ]);
    });
    const sampler = new ProcessHostSampler();
    scope.onClose(() => sampler.stop());

    const settings: Record<string, string> = {
      MONITOR_CHECK_INTERVAL_SECONDS: String(config.MONITOR_CHECK_INTERVAL_SECONDS),
      MONITOR_CHECK_TIMEOUT_MS: String(config.MONITOR_CHECK_TIMEOUT_MS),
      MONITOR_DEGRADED_LATENCY_MS: String(config.MONITOR_DEGRADED_LATENCY_MS),
      MONITOR_FAILURES_BEFORE_OFFLINE: String(config.MONITOR_FAILURES_BEFORE_OFFLINE),
      MONITOR_STATUS_INTERVAL_MS: String(config.MONITOR_STATUS_INTERVAL_MS),
      MONITOR_RATE_LIMIT_INTERVAL_MS: String(config.MONITOR_RATE_LIMIT_INTERVAL_MS),
      MONITOR_RATE_LIMIT_ALERT_PERCENTAGE: String(config.MONITOR_RATE_LIMIT_ALERT_PERCENTAGE),
      MONITOR_RETENTION_HOURS: String(config.MONITOR_RETENTION_HOURS),
      MARKET_DATA_GRPC_ADDR: config.MARKET_DATA_GRPC_ADDR,
      DATABASE_ENGINE: db.kind,
      BUS: config.BUS,
    };
    const api = new MonitorApi({
      monitor,
      logs,
      history,
      scheduler,
      db,
      settings,
      defaultIntervalSeconds: config.MONITOR_CHECK_INTERVAL_SECONDS,
      triggerWaitMs: config.MONITOR_TRIGGER_WAIT_MS,
    });
    for (const job of monitorJobs({
      monitor,
      api,
      logs,
      history,
      publisher,
      sampler,
      discoverFeeds,
      alertCount,
      statusIntervalMs: config.MONITOR_STATUS_INTERVAL_MS,
      rateLimitIntervalMs: config.MONITOR_RATE_LIMIT_INTERVAL_MS,
      cleanupIntervalMs: config.MONITOR_CLEANUP_INTERVAL_MS,
      retentionHours: config.MONITOR_RETENTION_HOURS,
      defaultCheckIntervalSeconds: config.MONITOR_CHECK_INTERVAL_SECONDS,
    })) {
      scheduler.add(job);
    }

    const server = await scope.serveGrpc([providerMonitorService(api, logger)]);
    // market-data's feeds and alerting's open-alert count enrich what the monitor reports; without
    // them it still checks every configured provider: shown in /health, never a reason to be not ready.
    const callees = [
      ...(config.MARKET_DATA_GRPC_ADDR ? [scope.optionalCallee('market-data', config.MARKET_DATA_GRPC_ADDR)] : []),
      ...(config.ALERTING_GRPC_ADDR ? [scope.optionalCallee('alerting', config.ALERTING_GRPC_ADDR)] : []),
    ];
    const health = await scope.startHealth(server, callees);

    scheduler.start();
    scope.onClose(() => scheduler.stop());
    // First checks at once rather than one interval after start.
    void scheduler.trigger('health_checks');
    void publisher.publish([publisher.systemLog('INFO', 'ProviderMonitor', `Monitoring ${monitor.all().length} providers`)]);

    return { grpcPort: server.port, api, monitor, scheduler, health, close: scope.close };
  });
}
