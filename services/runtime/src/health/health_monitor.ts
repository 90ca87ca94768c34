import type { Logger } from '../log/logger';
import { registerHealthMetrics } from '../metrics/health_metrics';
import { checkWithTimeout, type ComponentHealth, type HealthComponent } from './component_health';

export type OverallStatus = 'ok' | 'degraded';

export interface ComponentStatus extends ComponentHealth {
  name: string;
  /** Shown, but not counted in the overall status (HealthComponent.optional). */
  optional?: boolean;
  /** ISO time of the last check. */
  checked_at: string;
  /** ISO time since when `ok` has had its current value. */
  since: string;
}

export interface HealthSnapshot {
  status: OverallStatus;
  components: ComponentStatus[];
}

/** What the monitor drives besides its snapshot; the gRPC server's health handle fits. */
export interface ServingStatusSink {
  setAll(status: 'SERVING' | 'NOT_SERVING'): void;
}

export interface HealthMonitorOptions {
  components: HealthComponent[];
  intervalMs: number;
  logger: Logger;
  grpcHealth?: ServingStatusSink;
  /** Per-check timeout; defaults to the interval, capped at 5 s. */
  checkTimeoutMs?: number;
  /** Names the process part in marketpulse_ready / marketpulse_health_check_ok; no metrics without it. */
  service?: string;
}

/**
 * Polls every component on a fixed interval and keeps the latest result of each. Overall status is
 * `ok` only when every component is ok; until the first round completes, components are `pending`
 * (not ok), so a load balancer does not route to a process that has not proven its dependencies.
 */
export class HealthMonitor {
  private readonly statuses = new Map<string, ComponentStatus>();
  private readonly checked = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private lastOverall: OverallStatus | undefined;
  private unregisterMetrics: (() => void) | undefined;

  constructor(private readonly options: HealthMonitorOptions) {
    const now = new Date().toISOString();
    for (const c of options.components) {
      this.statuses.set(c.name, {
        name: c.name,
        ok: false,
        detail: 'pending first check',
        checked_at: now,
        since: now,
        ...(c.optional ? { optional: true } : {}),
      });
    }
  }

  /** Runs a first round immediately, then one every interval. */
  async start(): Promise<void> {
    const service = this.options.service;
    if (service !== undefined && !this.unregisterMetrics) {
      this.unregisterMetrics = registerHealthMetrics(() => ({ service, components: this.snapshot().components }));
    }
    await this.checkNow();
    this.timer = setInterval(() => void this.checkNow(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.unregisterMetrics?.();
    this.unregisterMetrics = undefined;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One round of checks; concurrent callers share the round in flight. */
  checkNow(): Promise<void> {
    this.round ??= this.runRound().finally(() => {
      this.round = undefined;
    });
    return this.round;
  }

  snapshot(): HealthSnapshot {
    const components = [...this.statuses.values()].map((s) => ({ ...s }));
    return { status: components.every((c) => c.ok || c.optional) ? 'ok' : 'degraded', components };
  }

  private async runRound(): Promise<void> {
    const timeoutMs = this.options.checkTimeoutMs ?? Math.min(this.options.intervalMs, 5000);
    await Promise.all(this.options.components.map(async (c) => this.record(c.name, await checkWithTimeout(() => c.check(), timeoutMs))));
    const overall = this.snapshot().status;
    if (overall !== this.lastOverall) {
      this.options.grpcHealth?.setAll(overall === 'ok' ? 'SERVING' : 'NOT_SERVING');
      if (this.lastOverall !== undefined || overall !== 'ok') {
        this.options.logger.info({ status: overall, previous: this.lastOverall ?? 'starting' }, 'overall health changed');
      }
      this.lastOverall = overall;
    }
  }

  private record(name: string, result: ComponentHealth): void {
    const previous = this.statuses.get(name);
    const first = !this.checked.has(name);
    this.checked.add(name);
    const now = new Date().toISOString();
    const changed = first || previous?.ok !== result.ok;
    this.statuses.set(name, {
      name,
      ok: result.ok,
      detail: result.detail,
      checked_at: now,
      since: changed || !previous ? now : previous.since,
      ...(previous?.optional ? { optional: true } : {}),
    });
    // Log transitions only; a component that stays down would otherwise flood the log every poll.
    if (!changed || (first && result.ok)) return;
    if (result.ok) this.options.logger.info({ component: name, detail: result.detail }, 'component healthy again');
    else this.options.logger.warn({ component: name, detail: result.detail }, 'component unhealthy');
  }
}
