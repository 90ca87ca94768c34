import type { ProviderFigures } from './provider_metrics';
import type { ProviderMonitor } from '../monitor';

/** What the Prometheus gauges show of each provider, read at scrape time. */
export function providerFigures(monitor: ProviderMonitor, now = Date.now()): ProviderFigures[] {
  return monitor.all().map((s) => {
    const usage = s.rateLimit?.usage(now);
    return {
      provider: s.def.name,
      status: s.status.status,
      latencySeconds: s.last ? s.last.latency_ms / 1000 : undefined,
      rateLimit: usage ? { used: usage.used, limit: usage.limit } : undefined,
    };
  });
}
