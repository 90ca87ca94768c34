import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { createHistogram } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from '../config/config_error';
import { loadConfig } from '../config/load_config';
import { DEFAULT_EVENT_LOOP_SAMPLE_MS, delayFigures, openEventLoopDelayWindow, setEventLoopSampleMs } from './event_loop_delay';
import { metricsConfigShape } from './metrics_config';

const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/metrics');
const REGISTRY = path.join(DIST, 'registry.js');
const SAMPLER = path.join(DIST, 'event_loop_delay.js');

/**
 * Runs `body` in a fresh Node process that has started the process metrics (the built registry, as
 * every service does on its first metric) and returns what it prints.
 */
function inFreshProcess(body: string): string {
  const script = `const { metricsRegistry } = require(${JSON.stringify(REGISTRY)}); const { setEventLoopSampleMs } = require(${JSON.stringify(SAMPLER)}); const registry = metricsRegistry(); ${body}`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`the child process failed (${r.status}): ${r.stderr}`);
  return r.stdout.trim();
}

/** The main thread's voluntary context switches over 2 s of idling (one each time its loop goes back to sleep), after `setup`. */
function idleWakeups(setup = ''): number {
  return Number(
    inFreshProcess(`
      ${setup}
      const fs = require('node:fs');
      const switches = () => Number(/voluntary_ctxt_switches:\\s+(\\d+)/.exec(fs.readFileSync('/proc/self/task/' + process.pid + '/status', 'utf8'))[1]);
      setTimeout(() => {
        const before = switches();
        setTimeout(() => console.log(switches() - before), 2000);
      }, 1000);
    `),
  );
}

describe('event-loop delay sampling (nodejs_eventloop_lag_*)', () => {
  it('leaves an idle process asleep between samples: about ten wake-ups a second, not a hundred', () => {
    // prom-client's 10 ms sampler woke it ~200 times in these 2 s (the gateway: ~6 µs of CPU per
    // published event at 1,000 events/s); no other timer runs in this process.
    const wakeups = idleWakeups();
    expect(wakeups).toBeGreaterThan(0);
    expect(wakeups).toBeLessThan(80);
    // METRICS_EVENT_LOOP_SAMPLE_MS as a service applies it once its configuration is read.
    expect(idleWakeups('setEventLoopSampleMs(10);')).toBeGreaterThan(100);
  });

  it('still shows a stall whole: a 300 ms block reads at least 200 ms past its sample', async () => {
    const out = inFreshProcess(`
      setTimeout(() => {
        const end = Date.now() + 300;
        while (Date.now() < end);
        setTimeout(async () => console.log(JSON.stringify((await registry.getMetricsAsJSON()).filter((m) => m.name.startsWith('nodejs_eventloop_lag_')).map((m) => [m.name, m.values[0]?.value]))), 300);
      }, 500);
    `);
    const figures = new Map(JSON.parse(out) as Array<[string, number]>);
    expect(figures.get('nodejs_eventloop_lag_max_seconds')).toBeGreaterThanOrEqual(0.2);
    // prom-client's names, each exactly once (its own gauges of the same names are replaced, not doubled).
    expect([...figures.keys()].sort()).toEqual(
      ['lag', 'lag_max', 'lag_mean', 'lag_min', 'lag_p50', 'lag_p90', 'lag_p99', 'lag_stddev']
        .map((n) => `nodejs_eventloop_${n}_seconds`)
        .sort(),
    );
  });

  it('feeds every reader the same samples, each read and reset on its own (the gauges, provider-monitor)', async () => {
    setEventLoopSampleMs(10);
    const gauges = openEventLoopDelayWindow();
    const snapshots = openEventLoopDelayWindow();
    try {
      await sleep(300);
      expect(gauges.histogram.count).toBeGreaterThan(0);
      expect(snapshots.histogram.count).toBe(gauges.histogram.count);
      gauges.histogram.reset();
      await sleep(50);
      expect(snapshots.histogram.count).toBeGreaterThan(gauges.histogram.count);
      // A 60 ms block reads at least 50 ms: the block less at most one period.
      const end = performance.now() + 60;
      while (performance.now() < end);
      await sleep(30);
      expect(gauges.histogram.max / 1e6).toBeGreaterThanOrEqual(50);
    } finally {
      gauges.close();
      snapshots.close();
      setEventLoopSampleMs(DEFAULT_EVENT_LOOP_SAMPLE_MS);
    }
  });

  it("turns a window of delays into the gauges' seconds", () => {
    const histogram = createHistogram();
    for (const ns of [1, 400_000, 1_000_000, 280_000_000, 312_000_000]) histogram.record(ns);
    const figures = Object.fromEntries(
      [...delayFigures(histogram)].map(([name, v]) => [name.replace(/^nodejs_eventloop_lag_|_seconds$/g, ''), Number(v.toPrecision(2))]),
    );
    expect(figures).toMatchObject({ min: 0, max: 0.31, p50: 0.001, p90: 0.31 });
    expect(figures.mean).toBeCloseTo(0.119, 2);
  });

  it('METRICS_EVENT_LOOP_SAMPLE_MS: 100 by default, a whole number of ms from 1 to 60000, anything else refused at start-up', () => {
    const schema = z.object(metricsConfigShape(9464));
    expect(loadConfig(schema, {}).METRICS_EVENT_LOOP_SAMPLE_MS).toBe(DEFAULT_EVENT_LOOP_SAMPLE_MS);
    expect(DEFAULT_EVENT_LOOP_SAMPLE_MS).toBe(100);
    expect(loadConfig(schema, { METRICS_EVENT_LOOP_SAMPLE_MS: '10' }).METRICS_EVENT_LOOP_SAMPLE_MS).toBe(10);
    for (const bad of ['0', '-5', '2.5', 'fast', '60001']) {
      let error: unknown;
      try {
        loadConfig(schema, { METRICS_EVENT_LOOP_SAMPLE_MS: bad });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([
        `METRICS_EVENT_LOOP_SAMPLE_MS: expected a number of milliseconds from 1 to 60000, got '${bad}'`,
      ]);
    }
  });
});
