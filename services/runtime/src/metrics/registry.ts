import { collectDefaultMetrics, Counter, Gauge, Histogram, register, type Registry } from 'prom-client';
import { PROM_CLIENT_SAMPLER_PERIOD_MS, registerEventLoopDelay } from './event_loop_delay';

let defaultsCollected = false;

/**
 * The process's one Prometheus registry: prom-client's global registry, so metrics any module
 * registers the default way land in the same /metrics page. The first call also starts the
 * standard process and Node.js metrics (process_cpu_seconds_total, nodejs_eventloop_lag_seconds, ...),
 * the event-loop delay figures sampled by event_loop_delay.ts instead of prom-client's 10 ms sampler.
 */
export function metricsRegistry(): Registry {
  if (!defaultsCollected) {
    defaultsCollected = true;
    collectDefaultMetrics({ register, eventLoopMonitoringPrecision: PROM_CLIENT_SAMPLER_PERIOD_MS });
    registerEventLoopDelay(register);
  }
  return register;
}

/** Seconds buckets from 1 ms to 10 s: RPCs, queries, Kafka round trips, webhook requests. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface MetricSpec<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}

/** A metric whose value is read at scrape time by `collect` (called with the metric as `this`). */
interface CollectedSpec<L extends string, M> extends MetricSpec<L> {
  // prom-client awaits a collect that returns a promise (a gauge read from a store at scrape time).
  collect?: (this: M) => void | Promise<void>;
}

// Get-or-create: the one-process suite runs several services (and buses, databases) in one process,
// so the same metric is asked for more than once; prom-client throws on a second registration.
function existing<M>(name: string): M | undefined {
  return metricsRegistry().getSingleMetric(name) as M | undefined;
}

export function counter<L extends string = string>(spec: CollectedSpec<L, Counter<L>>): Counter<L> {
  return existing<Counter<L>>(spec.name) ?? new Counter<L>({ ...spec, labelNames: spec.labelNames ?? [], registers: [metricsRegistry()] });
}

export function gauge<L extends string = string>(spec: CollectedSpec<L, Gauge<L>>): Gauge<L> {
  return existing<Gauge<L>>(spec.name) ?? new Gauge<L>({ ...spec, labelNames: spec.labelNames ?? [], registers: [metricsRegistry()] });
}

export function histogram<L extends string = string>(spec: MetricSpec<L> & { buckets?: number[] }): Histogram<L> {
  return (
    existing<Histogram<L>>(spec.name) ??
    new Histogram<L>({
      ...spec,
      labelNames: spec.labelNames ?? [],
      buckets: spec.buckets ?? LATENCY_BUCKETS,
      registers: [metricsRegistry()],
    })
  );
}
