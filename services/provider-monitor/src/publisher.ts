import type { events, providers } from '@marketpulse/proto';
import { buildEvent, type Bus, type Logger } from '@marketpulse/runtime';

export type LogLevel = 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';

/** Builds and publishes this service's events; a failed publish is logged, never thrown at a job. */
export class Publisher {
  constructor(
    private readonly bus: Bus,
    private readonly source: string,
    private readonly logger: Logger,
  ) {}

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
    return buildEvent('provider_status_change', { source: this.source, subject: c.provider, payload: c });
  }

  rateLimitAlert(a: providers.RateLimitAlert): events.Event {
    return buildEvent('rate_limit_alert', { source: this.source, subject: a.provider, payload: a });
  }

  statusUpdate(u: providers.StatusUpdate): events.Event {
    return buildEvent('status_update', { source: this.source, subject: 'system', payload: u });
  }

  /** A seed-003 system log line (INFO and above), also written to this process's own log. */
  systemLog(level: LogLevel, module: string, message: string): events.Event {
    const fields = { module };
    if (level === 'INFO') this.logger.info(fields, message);
    else if (level === 'WARNING') this.logger.warn(fields, message);
    else this.logger.error(fields, message);
    return buildEvent('system_log', {
      source: this.source,
      subject: this.source,
      payload: { level, module, message, timestamp: new Date().toISOString(), service: this.source, trace_id: '' },
    });
  }
}
