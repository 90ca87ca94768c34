import { metricsRegistry, type Logger } from '@marketpulse/runtime';
import { AggregatorRegistry } from 'prom-client';
import type { MetricsSource } from '../http/metrics_route';
import type { PrimaryLink } from './primary_link';

/**
 * A worker's /metrics (public port and METRICS_PORT alike) answers for the whole gateway: a scrape
 * reaches one worker (the ports are shared), so one worker's counters alone would jump between
 * scrapes. The primary sums every worker's registry (prom-client's AggregatorRegistry: counters,
 * gauges and histograms added, process metrics per its own rules); if it cannot, this worker's own
 * metrics answer, and the log says why.
 */
export function clusterMetrics(primary: PrimaryLink, logger: Logger): MetricsSource {
  // Constructing one installs prom-client's answer to the primary's requests for this worker's registry.
  new AggregatorRegistry();
  return {
    contentType: metricsRegistry().contentType,
    metrics: async () => {
      try {
        return await primary.metrics();
      } catch (err) {
        logger.warn({ err }, "the primary could not gather every worker's metrics; answering with this worker's");
        return metricsRegistry().metrics();
      }
    },
  };
}
