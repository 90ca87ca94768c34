import { storable } from '@marketpulse/runtime';
import { providerCheckMetrics } from './metrics/check_metrics';
import type { Probe, ProbeResult } from './probes/probe';
import type { ProviderDefinition } from './registry/provider_definition';
import type { Publisher } from './publisher';
import { logEntry, type LogEntry, type LogStore } from './store/log_store';
import type { HistoryStore } from './store/history_store';
import { RateLimitTracker, type RateLimitUsage } from './tracking/rate_limit';
import { StatusTracker, type ProviderStatus } from './tracking/status';

export interface ProviderState {
  def: ProviderDefinition;
  probe: Probe;
  status: StatusTracker;
  rateLimit: RateLimitTracker | undefined;
  last: ProbeResult | undefined;
  lastCheckAt: number | undefined;
  lastError: string;
  checking: Promise<void> | undefined;
}

export interface MonitorOptions {
  logs: LogStore;
  history: HistoryStore;
  publisher: Publisher;
  /** Usage percentage at which rate_limit_alert is raised (seed: 80). */
  rateLimitAlertPercentage: number;
}

/** rate_limit_alert severity and RateLimitStatus.status from a usage percentage. */
export function rateLimitLevel(percentage: number): 'ok' | 'warning' | 'critical' | 'exceeded' {
  if (percentage >= 100) return 'exceeded';
  if (percentage >= 95) return 'critical';
  if (percentage >= 80) return 'warning';
  return 'ok';
}

/**
 * Runs health checks and keeps, per provider, its status (with one change event per transition),
 * latency, rate-limit usage (with one alert per episode at or over the alert percentage) and logs.
 */
export class ProviderMonitor {
  private readonly states = new Map<string, ProviderState>();

  private readonly countCheck = providerCheckMetrics();

  constructor(private readonly o: MonitorOptions) {}

  register(def: ProviderDefinition, probe: Probe): void {
    if (this.states.has(def.name.toLowerCase())) return;
    this.states.set(def.name.toLowerCase(), {
      def,
      probe,
      status: new StatusTracker({ degraded_latency_ms: def.degraded_latency_ms, failures_before_offline: def.failures_before_offline }),
      rateLimit: def.rate_limit ? new RateLimitTracker(def.rate_limit, this.o.rateLimitAlertPercentage) : undefined,
      last: undefined,
      lastCheckAt: undefined,
      lastError: '',
      checking: undefined,
    });
  }

  has(name: string): boolean {
    return this.states.has(name.toLowerCase());
  }

  get(name: string): ProviderState | undefined {
    return this.states.get(name.toLowerCase());
  }

  all(): ProviderState[] {
    return [...this.states.values()];
  }

  /** The shortest check interval, which the health_checks job ticks at. */
  shortestIntervalSeconds(fallback: number): number {
    const intervals = this.all().map((s) => s.def.interval_seconds);
    return intervals.length ? Math.min(...intervals) : fallback;
  }

  /** Checks every provider that is due (all of them when `force`), concurrently. */
  async checkDue(force: boolean): Promise<void> {
    const now = Date.now();
    const due = this.all().filter((s) => force || s.lastCheckAt === undefined || now - s.lastCheckAt >= s.def.interval_seconds * 1000 - 50);
    const results = await Promise.allSettled(due.map((s) => this.check(s)));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length)
      throw new Error(`${failed.length} of ${due.length} health checks could not be recorded: ${String(failed[0].reason)}`);
  }

  /** One check of one provider; a check already running for it is joined, not duplicated. */
  check(s: ProviderState): Promise<void> {
    s.checking ??= this.runCheck(s).finally(() => {
      s.checking = undefined;
    });
    return s.checking;
  }

  private async runCheck(s: ProviderState): Promise<void> {
    const checked = await s.probe.check();
    // Its message quotes the upstream (a status text, a feed's error), which may hold NUL: stored as
    // it came, it failed every write of the provider's checks, so the provider never went offline.
    const result = { ...checked, error_message: storable(checked.error_message) };
    this.countCheck(s.def.name, result.connection_status);
    const at = Date.now();
    s.last = result;
    s.lastCheckAt = at;
    s.lastError = result.ok ? '' : result.error_message;
    if (s.rateLimit) {
      s.rateLimit.record(at, result.calls);
      if (result.upstream_used !== undefined) s.rateLimit.reportUpstream(result.upstream_used, at);
    }
    const change = s.status.observe({ ok: result.ok, latency_ms: result.latency_ms, reported: result.reported_status });

    const ts = new Date(at).toISOString();
    const { def } = s;
    const entries: LogEntry[] = [
      logEntry('connection', def.name, {
        timestamp: ts,
        endpoint: def.shown_endpoint,
        status: result.connection_status,
        response_time_ms: result.latency_ms,
        http_status_code: result.http_status_code,
        error_type: result.error_type,
        error_message: result.error_message,
      }),
    ];
    if (!result.ok) {
      entries.push(
        logEntry('failure', def.name, {
          timestamp: ts,
          endpoint: def.shown_endpoint,
          status: result.connection_status,
          response_time_ms: result.latency_ms,
          http_status_code: result.http_status_code,
          error_type: result.error_type,
          error_message: result.error_message,
        }),
      );
    }
    if (result.record_count !== undefined) {
      entries.push(
        logEntry('collection', def.name, {
          timestamp: ts,
          endpoint: def.shown_endpoint,
          status: result.ok ? 'success' : 'failed',
          category: def.category,
          record_count: result.record_count,
          data_timestamp: ts,
        }),
      );
    }
    // Announce first: the tracker has already moved, so a change lost to a database error would be lost for good.
    if (change) await this.announceChange(s, change.old_status, change.new_status, result);
    await this.o.logs.append(entries, s.status.status);
    await this.checkRateLimit(s, at);
  }

  private async announceChange(s: ProviderState, from: ProviderStatus, to: ProviderStatus, r: ProbeResult): Promise<void> {
    const details: Record<string, string> = { response_time_ms: String(r.latency_ms) };
    if (r.error_type) details.error = r.error_type;
    if (r.error_message) details.message = r.error_message;
    if (r.http_status_code) details.http_status_code = String(r.http_status_code);
    const level = to === 'offline' ? 'ERROR' : to === 'degraded' ? 'WARNING' : 'INFO';
    const why = r.ok ? `response time ${r.latency_ms} ms` : r.error_message;
    await this.o.publisher.publish([
      this.o.publisher.statusChange({ provider: s.def.name, old_status: from, new_status: to, details }),
      this.o.publisher.systemLog(level, 'HealthChecker', `Provider ${s.def.name} is ${to} (was ${from}): ${why}`),
    ]);
    await this.o.history.addStatusChange({
      timestamp: new Date().toISOString(),
      provider: s.def.name,
      old_status: from,
      new_status: to,
      details,
    });
  }

  /** Raises rate_limit_alert when a provider reaches the alert percentage (once per episode). */
  async checkRateLimit(s: ProviderState, at = Date.now()): Promise<void> {
    const alarm = s.rateLimit?.checkAlarm(at);
    if (!alarm || !s.def.rate_limit) return;
    const level = rateLimitLevel(alarm.percentage);
    await this.o.publisher.publish([
      this.o.publisher.rateLimitAlert({
        provider: s.def.name,
        percentage: alarm.percentage,
        severity: alarm.percentage >= 95 ? 'critical' : 'warning',
        used: alarm.used,
        limit: alarm.limit,
        limit_type: s.def.rate_limit.limit_type,
      }),
      this.o.publisher.systemLog(
        level === 'warning' ? 'WARNING' : 'ERROR',
        'RateLimiter',
        `Provider ${s.def.name} at ${alarm.percentage}% of its rate limit (${alarm.used}/${alarm.limit} ${s.def.rate_limit.limit_type})`,
      ),
    ]);
    await this.o.logs.append([this.rateLimitLog(s, alarm)]);
  }

  /** The rate_limit_snapshot job: alarms, and one rate_limit log row per limited provider. */
  async rateLimitSnapshot(): Promise<void> {
    const now = Date.now();
    const entries: LogEntry[] = [];
    for (const s of this.all()) {
      if (!s.rateLimit) continue;
      await this.checkRateLimit(s, now);
      entries.push(this.rateLimitLog(s, s.rateLimit.usage(now)));
    }
    await this.o.logs.append(entries);
  }

  private rateLimitLog(s: ProviderState, u: RateLimitUsage): LogEntry {
    return logEntry('rate_limit', s.def.name, {
      status: rateLimitLevel(u.percentage),
      limit_type: s.def.rate_limit?.limit_type ?? '',
      limit_value: u.limit,
      current_usage: u.used,
      percentage: u.percentage,
    });
  }
}
