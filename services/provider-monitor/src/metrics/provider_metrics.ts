import { gauge } from '@marketpulse/runtime';

type Gauge = ReturnType<typeof gauge<string>>;

export interface ProviderFigures {
  provider: string;
  /** online, degraded, offline or unknown. */
  status: string;
  /** Latency of the last health check, when there was one. */
  latencySeconds?: number;
  /** Rate-limit usage in the provider's current window, when it has a limit. */
  rateLimit?: { used: number; limit: number };
}

export const PROVIDER_STATUSES = ['online', 'degraded', 'offline', 'unknown'] as const;

const readers = new Set<() => ProviderFigures[]>();
const current = () => [...readers].flatMap((read) => read());

/** Refills a gauge from the providers' current figures at scrape time. */
function refreshWith(fill: (g: Gauge, p: ProviderFigures) => void) {
  return function (this: Gauge) {
    this.reset();
    for (const p of current()) fill(this, p);
  };
}

/**
 * Exposes upstream providers' health, read from `read` at every scrape:
 * marketpulse_provider_status{provider,status} (1 for the current status, 0 for the others),
 * marketpulse_provider_check_latency_seconds and marketpulse_provider_rate_limit_usage_ratio.
 * Returns a function that stops reading (call it when the monitor stops).
 */
export function registerProviderMetrics(read: () => ProviderFigures[]): () => void {
  readers.add(read);
  gauge({
    name: 'marketpulse_provider_status',
    help: 'Current status of each upstream provider as a state set: 1 for its status, 0 for the others.',
    labelNames: ['provider', 'status'],
    collect: refreshWith((g, p) => {
      for (const s of PROVIDER_STATUSES) g.set({ provider: p.provider, status: s }, p.status === s ? 1 : 0);
    }),
  });
  gauge({
    name: 'marketpulse_provider_check_latency_seconds',
    help: 'Latency of the last health check of each provider.',
    labelNames: ['provider'],
    collect: refreshWith((g, p) => {
      if (p.latencySeconds !== undefined) g.set({ provider: p.provider }, p.latencySeconds);
    }),
  });
  gauge({
    name: 'marketpulse_provider_rate_limit_usage_ratio',
    help: 'Share of its rate limit a provider has used in the current window (0..1).',
    labelNames: ['provider'],
    collect: refreshWith((g, p) => {
      if (p.rateLimit && p.rateLimit.limit > 0) g.set({ provider: p.provider }, p.rateLimit.used / p.rateLimit.limit);
    }),
  });
  return () => {
    readers.delete(read);
  };
}
