import { providers } from '@marketpulse/proto';
import { quote, type Database } from '@marketpulse/runtime';
import { invalid, notFound } from './errors';
import { countStatuses, systemHealth } from './metrics/system_health';
import type { ProviderMonitor, ProviderState } from './monitor';
import { rateLimitLevel } from './monitor';
import type { Scheduler } from './scheduler/scheduler';
import type { HistoryStore } from './store/history_store';
import { LOG_TYPES, type LogStore, type LogType } from './store/log_store';
import { outagesFrom } from './tracking/outages';

const DEFAULT_HOURS = 24;
const MAX_HOURS = 24 * 90;
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 10_000;
/** Outages listed by GetFailureAnalytics; a flapping provider must not swell the answer. */
const MAX_OUTAGES = 50;

function hoursOf(h: number): number {
  if (!Number.isFinite(h) || h < 0) throw invalid(`hours must be zero (= ${DEFAULT_HOURS}) or a positive number, got ${h}`, 'hours');
  if (h > MAX_HOURS) throw invalid(`hours must be at most ${MAX_HOURS}, got ${h}`, 'hours');
  return h || DEFAULT_HOURS;
}

export function maskKey(key: string): string {
  if (key.length <= 6) return '***';
  return `${key.slice(0, 4)}***${key.slice(-2)}`;
}

export interface MonitorApiDeps {
  monitor: ProviderMonitor;
  logs: LogStore;
  history: HistoryStore;
  scheduler: Scheduler;
  db: Database;
  /** Effective settings for GetConfigStats (no secrets). */
  settings: Record<string, string>;
  defaultIntervalSeconds: number;
  triggerWaitMs: number;
}

/** What the ProviderMonitorService RPCs answer (seed 004's monitoring REST API), in proto shapes. */
export class MonitorApi {
  constructor(private readonly d: MonitorApiDeps) {}

  private find(name: string): ProviderState {
    const s = this.d.monitor.get(name);
    if (!s) {
      const known = this.d.monitor.all().map((x) => x.def.name);
      throw notFound(`provider ${quote(name)} not found; known providers: ${known.join(', ') || '(none configured)'}`);
    }
    return s;
  }

  rateLimitOf(s: ProviderState, now = Date.now()): providers.RateLimitStatus | undefined {
    if (!s.rateLimit || !s.def.rate_limit) return undefined;
    const u = s.rateLimit.usage(now);
    const reset = u.reset_at ? Date.parse(u.reset_at) : now;
    return {
      provider: s.def.name,
      limit_type: s.def.rate_limit.limit_type,
      limit_value: u.limit,
      current_usage: u.used,
      percentage: u.percentage,
      reset_time: new Date(reset).toISOString(),
      reset_in_seconds: Math.max(0, Math.ceil((reset - now) / 1000)),
      status: rateLimitLevel(u.percentage),
    };
  }

  providerOf(s: ProviderState): providers.Provider {
    const key = s.def.api_key_env ? process.env[s.def.api_key_env] : undefined;
    return {
      id: s.def.name.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
      name: s.def.name,
      category: s.def.category,
      status: s.status.status,
      response_time_ms: s.last?.latency_ms ?? 0,
      rate_limit: this.rateLimitOf(s),
      last_fetch: s.lastCheckAt ? new Date(s.lastCheckAt).toISOString() : undefined,
      has_key: Boolean(s.def.api_key_env),
      api_key_masked: key ? maskKey(key) : '',
      endpoint: s.def.shown_endpoint,
      last_error: s.lastError,
      check_interval_seconds: Math.round(s.def.interval_seconds),
    };
  }

  listProviders(req: providers.ListProvidersRequest): providers.ListProvidersResponse {
    const search = req.search.toLowerCase();
    return {
      providers: this.d.monitor
        .all()
        .filter(
          (s) =>
            (!req.category || s.def.category === req.category) &&
            (!req.status || s.status.status === req.status) &&
            (!search || s.def.name.toLowerCase().includes(search)),
        )
        .map((s) => this.providerOf(s)),
    };
  }

  getProvider(name: string): providers.GetProviderResponse {
    return { provider: this.providerOf(this.find(name)) };
  }

  async getProviderStats(name: string, hoursIn: number): Promise<providers.GetProviderStatsResponse> {
    const s = this.find(name);
    const hours = hoursOf(hoursIn);
    const w = await this.d.logs.providerStats(s.def.name, hours);
    const pct = (n: number) => (w.total ? Math.round((n / w.total) * 10000) / 100 : 0);
    return {
      stats: {
        provider: s.def.name,
        hours,
        total_requests: w.total,
        successful_requests: w.success,
        failed_requests: w.failed,
        rate_limited_requests: w.rate_limited,
        success_rate: pct(w.success),
        uptime_percentage: pct(w.not_offline),
        avg_response_time_ms: round(w.avg_ms),
        min_response_time_ms: round(w.min_ms),
        max_response_time_ms: round(w.max_ms),
        p95_response_time_ms: round(w.p95_ms),
        data_collections: w.collections,
        last_success_at: w.last_success_at,
        last_failure_at: w.last_failure_at,
        last_error: w.last_error,
      },
    };
  }

  /** Current counts and health; also the base of every status snapshot. */
  currentMetrics(requestsHour = 0, failuresHour = 0): providers.SystemMetrics {
    const all = this.d.monitor.all();
    const c = countStatuses(all.map((s) => s.status.status));
    const latencies = all.filter((s) => s.last).map((s) => s.last!.latency_ms);
    return {
      total_providers: c.total,
      online_count: c.online,
      degraded_count: c.degraded,
      offline_count: c.offline,
      avg_response_time_ms: latencies.length ? round(latencies.reduce((a, b) => a + b, 0) / latencies.length) : 0,
      total_requests_hour: requestsHour,
      total_failures_hour: failuresHour,
      system_health: systemHealth(c),
      timestamp: new Date().toISOString(),
    };
  }

  getStatus(): providers.GetStatusResponse {
    const m = this.currentMetrics();
    const checks = this.d.monitor.all().map((s) => s.lastCheckAt ?? 0);
    const last = Math.max(0, ...checks);
    return {
      total_apis: m.total_providers,
      online: m.online_count,
      degraded: m.degraded_count,
      offline: m.offline_count,
      avg_response_time_ms: m.avg_response_time_ms,
      last_update: last ? new Date(last).toISOString() : undefined,
      system_health: m.system_health,
    };
  }

  async getMetricsHistory(hoursIn: number): Promise<providers.GetMetricsHistoryResponse> {
    const rows = await this.d.history.metrics<unknown>(hoursOf(hoursIn));
    // fromJSON keeps only SystemMetrics fields and turns byte counts stored as JSON numbers into int64 strings.
    return { metrics: rows.map((r) => providers.SystemMetrics.fromJSON(r)) };
  }

  listRateLimits(): providers.ListRateLimitsResponse {
    const now = Date.now();
    return { rate_limits: this.d.monitor.all().flatMap((s) => this.rateLimitOf(s, now) ?? []) };
  }

  getRateLimit(name: string): providers.GetRateLimitResponse {
    const s = this.find(name);
    const r = this.rateLimitOf(s);
    if (!r) throw notFound(`provider '${s.def.name}' has no rate limit configured`);
    return { rate_limit: r };
  }

  async listLogs(req: providers.ListLogsRequest): Promise<providers.ListLogsResponse> {
    if (!(LOG_TYPES as readonly string[]).includes(req.log_type)) {
      throw invalid(`unknown log_type ${quote(req.log_type)}; expected one of: ${LOG_TYPES.join(', ')}`, 'log_type');
    }
    if (req.limit < 0) throw invalid(`limit must be zero (= ${DEFAULT_LIMIT}) or positive, got ${req.limit}`, 'limit');
    const logs = await this.d.logs.list(
      req.log_type as LogType,
      hoursOf(req.hours),
      Math.min(req.limit || DEFAULT_LIMIT, MAX_LIMIT),
      req.provider || undefined,
    );
    return { log_type: req.log_type, logs, count: logs.length };
  }

  getSchedulerStatus(): providers.GetSchedulerStatusResponse {
    const st = this.d.scheduler.status();
    return {
      running: st.running,
      total_jobs: st.jobs.length,
      jobs: st.jobs.map((j) => ({
        id: j.id,
        name: j.name,
        trigger: `every ${j.interval_seconds}s`,
        interval_seconds: Math.max(1, Math.round(j.interval_seconds)),
        next_run_time: j.next_run,
        last_run_time: j.last_run,
        last_status: j.running ? 'running' : j.last_status === 'error' ? 'failed' : j.last_status === 'success' ? 'success' : '',
        last_error: j.last_error ?? '',
        run_count: j.run_count,
        paused: false,
      })),
    };
  }

  async triggerJob(jobId: string): Promise<providers.TriggerJobResponse> {
    const triggeredAt = new Date().toISOString();
    const { finished, status } = await this.d.scheduler.triggerWithin(jobId, this.d.triggerWaitMs);
    const message = !finished
      ? `job ${jobId} started and is still running`
      : status.last_status === 'error'
        ? `job ${jobId} ran and failed: ${status.last_error}`
        : `job ${jobId} ran in ${status.last_duration_ms} ms`;
    return { job_id: jobId, status: 'triggered', message, triggered_at: triggeredAt };
  }

  async getDatabaseStats(): Promise<providers.GetDatabaseStatsResponse> {
    const t = await this.d.history.tableStats();
    const size = t.tables.reduce((a, x) => a + x.size_bytes, 0);
    return {
      tables: t.tables.map((x) => ({ name: x.name, row_count: String(x.row_count), size_bytes: String(x.size_bytes) })),
      total_rows: String(t.tables.reduce((a, x) => a + x.row_count, 0)),
      database_size_bytes: String(size),
      database_size_mb: round(size / 1024 / 1024),
      engine: this.d.db.kind,
      oldest_record_at: t.oldest,
      newest_record_at: t.newest,
    };
  }

  async getDatabaseHealth(): Promise<providers.GetDatabaseHealthResponse> {
    const started = performance.now();
    const checked_at = new Date().toISOString();
    try {
      const { rows } = await this.d.db.query<{ version: string }>('SELECT version() AS version');
      return {
        status: 'healthy',
        latency_ms: round(performance.now() - started),
        engine: this.d.db.kind,
        version: releaseOf(rows[0]?.version ?? ''),
        error: '',
        checked_at,
      };
    } catch (err) {
      // The driver's text names hosts and SQL: the caller gets its code only.
      const code = (err as { code?: unknown }).code;
      const error = `database query failed${typeof code === 'string' && /^[A-Z0-9_]{1,32}$/.test(code) ? ` (${code})` : ''}`;
      return {
        status: 'unhealthy',
        latency_ms: round(performance.now() - started),
        engine: this.d.db.kind,
        version: '',
        error,
        checked_at,
      };
    }
  }

  async getFailureAnalytics(hoursIn: number): Promise<providers.GetFailureAnalyticsResponse> {
    const hours = hoursOf(hoursIn);
    const [types, counts, recent, changes] = await Promise.all([
      this.d.logs.errorTypeCounts(hours),
      this.d.logs.requestCounts(hours),
      this.d.logs.list('failure', hours, 20),
      this.d.history.statusChanges(hours),
    ]);
    const total = types.reduce((a, t) => a + t.count, 0);
    const top = counts
      .filter((c) => c.failed > 0)
      .map((c) => ({ provider: c.provider, failure_count: c.failed, failure_rate: round((c.failed / c.total) * 100) }))
      .sort((a, b) => b.failure_count - a.failure_count || a.provider.localeCompare(b.provider))
      .slice(0, 10);
    return {
      hours,
      total_failures: total,
      error_type_distribution: types.map((t) => ({ ...t, percentage: total ? round((t.count / total) * 100) : 0 })),
      top_failing_providers: top,
      recent_failures: recent,
      remediation_suggestions: suggestions(types, top),
      recent_outages: outagesFrom(changes).slice(0, MAX_OUTAGES),
    };
  }

  getConfigStats(): providers.GetConfigStatsResponse {
    const all = this.d.monitor.all();
    const categories = new Map<string, number>();
    for (const s of all) categories.set(s.def.category, (categories.get(s.def.category) ?? 0) + 1);
    return {
      total_providers: all.length,
      categories: [...categories].map(([category, count]) => ({ category, count })),
      providers_requiring_key: all.filter((s) => s.def.api_key_env).length,
      providers_with_key: all.filter((s) => s.def.api_key_env && process.env[s.def.api_key_env]).length,
      providers_with_rate_limit: all.filter((s) => s.def.rate_limit).length,
      scheduler_jobs: this.d.scheduler.status().jobs.length,
      health_check_interval_seconds: this.d.defaultIntervalSeconds,
      settings: this.d.settings,
    };
  }
}

const ADVICE: Record<string, { issue: string; suggestion: string }> = {
  timeout: { issue: 'Requests time out', suggestion: 'Raise the provider timeout or check network latency to the provider.' },
  connection_error: {
    issue: 'Provider unreachable',
    suggestion: 'Check the endpoint URL, DNS and firewall rules; the provider may be down.',
  },
  http_error: {
    issue: 'Provider answers with errors',
    suggestion: 'Check the provider status page and the health-check URL; server errors usually clear on their own.',
  },
  rate_limit: { issue: 'Rate limit hit', suggestion: 'Lower the check frequency or upgrade the provider plan.' },
  auth_error: { issue: 'Authentication rejected', suggestion: 'Check or rotate the API key in the provider configuration.' },
  parse_error: { issue: 'Unexpected response format', suggestion: 'The provider API may have changed; review the integration.' },
};

function suggestions(
  types: { error_type: string; count: number }[],
  top: providers.ProviderFailureCount[],
): providers.RemediationSuggestion[] {
  const out: providers.RemediationSuggestion[] = [];
  for (const t of types.slice(0, 3)) {
    const a = ADVICE[t.error_type];
    if (a) out.push({ ...a, priority: t.count >= 10 ? 'high' : 'medium', provider: '' });
  }
  for (const p of top) {
    if (p.failure_rate >= 50) {
      out.push({
        issue: `${p.provider} fails ${p.failure_rate}% of checks`,
        suggestion: `Investigate ${p.provider}: switch to a fallback provider until it recovers.`,
        priority: p.failure_rate >= 90 ? 'critical' : 'high',
        provider: p.provider,
      });
    }
  }
  return out;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/**
 * The engine and its release ("PostgreSQL 17.6"), not the rest of `version()`: the platform,
 * compiler and build it names are for the operator's shell, not for every user who may read this.
 */
function releaseOf(version: string): string {
  return /^[A-Za-z]+ \d+(?:\.\d+)?/.exec(version)?.[0] ?? '';
}
