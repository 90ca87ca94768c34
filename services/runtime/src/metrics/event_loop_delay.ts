import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';

type IntervalHistogram = ReturnType<typeof monitorEventLoopDelay>;

/**
 * How often the event loop's delay is sampled unless METRICS_EVENT_LOOP_SAMPLE_MS says otherwise.
 * Every sample wakes the loop, even an idle one, and on the 2-core bench machine a wake-up costs
 * tens of µs: at prom-client's default of 10 ms the gateway spent 63 µs of CPU per published event
 * at 1,000 events/s, at 100 ms 57, with no sampler 53 (bench/fanout/README.md, "Session 16"). At
 * 100 ms a 15 s scrape still covers 150 samples, and a stall of 100 ms or more is always caught whole.
 */
export const DEFAULT_EVENT_LOOP_SAMPLE_MS = 100;

/**
 * prom-client's own sampler cannot be switched off, only slowed: at this period (about 24 days) it
 * never wakes the loop, and the figures below take its metrics' names.
 */
export const PROM_CLIENT_SAMPLER_PERIOD_MS = 2 ** 31 - 1;

interface Figure {
  name: string;
  help: string;
  /** How the primary of a multi-process gateway combines its workers' values (prom-client's choice for the same metric). */
  aggregator: 'min' | 'max' | 'average';
  /** The figure in ns as the histogram holds it: the time between two samples. */
  read: (h: IntervalHistogram) => number;
  /** A spread, not a time between samples: the sampling period is not subtracted from it. */
  spread?: boolean;
}

// prom-client's names, so dashboards built on its defaults keep working; the values are the delay
// past each sample's due time rather than the time between samples (an idle loop reads 0, not the period).
const FIGURES: readonly Figure[] = [
  {
    name: 'nodejs_eventloop_lag_min_seconds',
    help: 'The least event-loop delay sampled since the last scrape.',
    aggregator: 'min',
    read: (h) => h.min,
  },
  {
    name: 'nodejs_eventloop_lag_max_seconds',
    help: 'The greatest event-loop delay sampled since the last scrape.',
    aggregator: 'max',
    read: (h) => h.max,
  },
  {
    name: 'nodejs_eventloop_lag_mean_seconds',
    help: 'The mean event-loop delay sampled since the last scrape.',
    aggregator: 'average',
    read: (h) => h.mean,
  },
  {
    name: 'nodejs_eventloop_lag_stddev_seconds',
    help: 'The standard deviation of the event-loop delays sampled since the last scrape.',
    aggregator: 'average',
    read: (h) => h.stddev,
    spread: true,
  },
  {
    name: 'nodejs_eventloop_lag_p50_seconds',
    help: 'The median event-loop delay sampled since the last scrape.',
    aggregator: 'average',
    read: (h) => h.percentile(50),
  },
  {
    name: 'nodejs_eventloop_lag_p90_seconds',
    help: 'The 90th percentile of the event-loop delays sampled since the last scrape.',
    aggregator: 'average',
    read: (h) => h.percentile(90),
  },
  {
    name: 'nodejs_eventloop_lag_p99_seconds',
    help: 'The 99th percentile of the event-loop delays sampled since the last scrape.',
    aggregator: 'average',
    read: (h) => h.percentile(99),
  },
];

/** The delay figures (seconds) of one scrape window; the sampler's period is taken off every time figure. */
export function delayFigures(histogram: IntervalHistogram, sampleMs: number): Map<string, number> {
  const figures = new Map<string, number>();
  for (const f of FIGURES) {
    const ns = f.read(histogram);
    figures.set(f.name, Math.max(0, (f.spread ? ns : ns - sampleMs * 1e6) / 1e9));
  }
  return figures;
}

let sampler: { histogram: IntervalHistogram; sampleMs: number } | undefined;
/** The period to sample at: the default until the configuration is read. */
let configuredMs = DEFAULT_EVENT_LOOP_SAMPLE_MS;

function startSampler(sampleMs: number): void {
  sampler?.histogram.disable();
  const histogram = monitorEventLoopDelay({ resolution: sampleMs });
  histogram.enable();
  sampler = { histogram, sampleMs };
}

/**
 * Registers the event-loop delay gauges in place of prom-client's and starts sampling; once per
 * process, by the registry's first use.
 */
export function registerEventLoopDelay(registry: Registry): void {
  for (const f of FIGURES) registry.removeSingleMetric(f.name);
  startSampler(configuredMs);
  // The first gauge's collect sets them all, once per scrape, then starts the next window.
  const collect = () => {
    const { histogram, sampleMs } = sampler!;
    // No sample since the last scrape (scrapes closer than the period): the last window's figures stand.
    if (histogram.count === 0) return;
    const figures = delayFigures(histogram, sampleMs);
    FIGURES.forEach((f, i) => gauges[i]!.set(figures.get(f.name)!));
    histogram.reset();
  };
  const gauges = FIGURES.map(
    (f, i) => new Gauge({ name: f.name, help: f.help, aggregator: f.aggregator, registers: [registry], ...(i === 0 ? { collect } : {}) }),
  );
}

/** METRICS_EVENT_LOOP_SAMPLE_MS, applied at start-up once the configuration is read. */
export function setEventLoopSampleMs(sampleMs: number): void {
  configuredMs = sampleMs;
  if (sampler !== undefined && sampler.sampleMs !== sampleMs) startSampler(sampleMs);
}
