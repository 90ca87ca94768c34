import { createHistogram } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';

type DelayHistogram = ReturnType<typeof createHistogram>;

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
  /** The figure in ns as the window's histogram holds it. */
  read: (h: DelayHistogram) => number;
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

/** The figures (seconds) of one window of delays; a sample on time (recorded as 1 ns, the least a histogram takes) reads 0. */
export function delayFigures(histogram: DelayHistogram): Map<string, number> {
  return new Map(
    FIGURES.map((f) => {
      const ns = f.read(histogram);
      return [f.name, ns <= 1 ? 0 : ns / 1e9];
    }),
  );
}

/**
 * One reader's event-loop delays (ns past each sample's due time) since it last reset them. The
 * Prometheus gauges and provider-monitor's status snapshots each have one, all fed by the one
 * sampler, so a process never runs two.
 */
export interface EventLoopDelayWindow {
  readonly histogram: DelayHistogram;
  /** Stops feeding it; the sampler stops with the last window. */
  close(): void;
}

const windows = new Set<DelayHistogram>();
let periodMs = DEFAULT_EVENT_LOOP_SAMPLE_MS;
let timer: NodeJS.Timeout | undefined;
let lastSampleAt = 0;

function sample(): void {
  const now = performance.now();
  // The loop's cached clock can run a timer a hair early: 1 ns, a histogram's least value.
  const delayNs = Math.max(1, Math.round((now - lastSampleAt - periodMs) * 1e6));
  lastSampleAt = now;
  for (const h of windows) h.record(delayNs);
}

function restartSampler(): void {
  clearInterval(timer);
  timer = undefined;
  if (windows.size === 0) return;
  lastSampleAt = performance.now();
  // One JavaScript timer: it shares the loop's wake-ups with the process's other timers, and it
  // never keeps a process alive.
  timer = setInterval(sample, periodMs).unref();
}

/** A new window of event-loop delays, fed from now on. */
export function openEventLoopDelayWindow(): EventLoopDelayWindow {
  const histogram = createHistogram();
  windows.add(histogram);
  if (timer === undefined) restartSampler();
  return {
    histogram,
    close: () => {
      windows.delete(histogram);
      if (windows.size === 0) restartSampler();
    },
  };
}

/**
 * Registers the event-loop delay gauges in place of prom-client's; once per process, by the
 * registry's first use.
 */
export function registerEventLoopDelay(registry: Registry): void {
  for (const f of FIGURES) registry.removeSingleMetric(f.name);
  const { histogram } = openEventLoopDelayWindow();
  // The first gauge's collect sets them all, once per scrape, then starts the next window.
  const collect = () => {
    // No sample since the last scrape (scrapes closer than the period): the last window's figures stand.
    if (histogram.count === 0) return;
    const figures = delayFigures(histogram);
    FIGURES.forEach((f, i) => gauges[i]!.set(figures.get(f.name)!));
    histogram.reset();
  };
  const gauges = FIGURES.map(
    (f, i) => new Gauge({ name: f.name, help: f.help, aggregator: f.aggregator, registers: [registry], ...(i === 0 ? { collect } : {}) }),
  );
}

/** METRICS_EVENT_LOOP_SAMPLE_MS, applied at start-up once the configuration is read. */
export function setEventLoopSampleMs(sampleMs: number): void {
  if (sampleMs === periodMs) return;
  periodMs = sampleMs;
  if (timer !== undefined) restartSampler();
}
