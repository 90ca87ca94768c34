import { randomUUID } from 'node:crypto';
import type { events, providers } from '@marketpulse/proto';
import type { Bus, Logger } from '@marketpulse/runtime';

export type LogLevel = 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';

/** Builds and publishes this service's events; a failed publish is logged, never thrown at a job. */
export class Publisher {
  constructor(
    private readonly bus: Bus,
    private readonly source: string,
    private readonly logger: Logger,
  ) {}

  private envelope(subject: string, payload: NonNullable<events.Event['payload']>): events.Event {
    return { id: randomUUID(), type: payload.$case, source: this.source, subject, time: new Date().toISOString(), owner: '', payload };
  }

  async publish(list: events.Event[]): Promise<boolean> {
    try {
      await this.bus.publish(list);
      return true;
    } catch (err) {
      this.logger.warn({ err: String(err), types: list.map((e) => e.type) }, 'publishing events failed');
      return false;
    }
  }

  statusChange(c: providers.ProviderStatusChange): events.Event {
    return this.envelope(c.provider, { $case: 'provider_status_change', provider_status_change: c });
  }

  rateLimitAlert(a: providers.RateLimitAlert): events.Event {
    return this.envelope(a.provider, { $case: 'rate_limit_alert', rate_limit_alert: a });
  }

  statusUpdate(u: providers.StatusUpdate): events.Event {
    return this.envelope('system', { $case: 'status_update', status_update: u });
  }

  /** A seed-003 system log line (INFO and above), also written to this process's own log. */
  systemLog(level: LogLevel, module: string, message: string): events.Event {
    const fields = { module };
    if (level === 'INFO') this.logger.info(fields, message);
    else if (level === 'WARNING') this.logger.warn(fields, message);
    else this.logger.error(fields, message);
    return this.envelope(this.source, {
      $case: 'system_log',
      system_log: { level, module, message, timestamp: new Date().toISOString(), service: this.source, trace_id: '' },
    });
  }
}
