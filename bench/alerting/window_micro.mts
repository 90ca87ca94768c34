// In-process micro-benchmark of what a long percent_move window costs every rule of its symbol
// (services/alerting/dist, build first with `pnpm exec tsc -b services/alerting`). Replays `--hours`
// of one symbol at `--rate` ticks/s through the real RuleEvaluator with one percent_move rule of
// the case's window (it fills the evaluator's price window), then times `--ticks` ticks evaluated
// against `--rules` percent_move rules on that symbol: that rule plus the rest with 60 s windows.
// One case per `--windows` length, so `86400,60` compares a 24 h window with 60 s only.
// Prints, each the median of `--reps` runs on a fresh evaluator: CPU ms per measured tick, CPU µs per
// filling tick (the whole replay, averaged), the memory the replay left behind (after a GC: the JS
// heap plus array buffers, where typed arrays keep their contents) and the alerts raised; and the
// load average.
//
//   node bench/alerting/window_micro.mts [--rate 2] [--rules 100] [--windows 86400,60] [--hours 24]
//                                        [--ticks 50] [--reps 3] [--evaluator path]
//
// `--evaluator` loads another build's evaluator.js (an A/B against an older build). An old build
// reads every kept price on every tick, so its replay of 24 h takes minutes per rep.
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '2' },
    rules: { type: 'string', default: '100' },
    windows: { type: 'string', default: '86400,60' },
    hours: { type: 'string', default: '24' },
    ticks: { type: 'string', default: '50' },
    reps: { type: 'string', default: '3' },
    evaluator: { type: 'string', default: join(here, '../../services/alerting/dist/evaluation/evaluator.js') },
  },
});
const rate = Number(values.rate);
const ruleCount = Number(values.rules);
const windows = values.windows.split(',').map(Number);
const fillTicks = Math.round(Number(values.hours) * 3600 * rate);
const measuredTicks = Number(values.ticks);
const reps = Number(values.reps);
const evaluatorPath = resolve(values.evaluator);

const require = createRequire(import.meta.url);
const { RuleEvaluator } = require(evaluatorPath);
const { RuleIndex } = require(join(dirname(evaluatorPath), 'rule_index.js'));

// The memory a replay leaves behind is only comparable after a full collection.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const SYMBOL = 'BTC-USD';
const T0 = Date.parse('2026-12-07T00:00:00Z');
const step = 1000 / rate;

function rules(longWindow: number): unknown[] {
  return Array.from({ length: ruleCount }, (_, i) => ({
    id: `r${i}`,
    user_id: `u${i}`,
    name: 'move',
    description: '',
    symbol: SYMBOL,
    severity: 'warning',
    enabled: true,
    system: false,
    condition: { type: 'percent_move', percent: 50, window_seconds: i === 0 ? longWindow : 60, direction: 'either' },
    cooldown_seconds: 60,
    created_at: '',
    updated_at: '',
  }));
}

const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;
const alive: unknown[] = [];
/** A full collection, and time for array buffers' memory to be given back, which happens after it. */
const settle = async () => {
  gc();
  await new Promise((resolve) => setTimeout(resolve, 100));
  gc();
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const memoryMb = () => {
  const m = process.memoryUsage();
  return (m.heapUsed + m.arrayBuffers) / 1e6;
};
const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

console.log(
  `evaluator ${evaluatorPath}; ${rate} ticks/s, ${values.hours} h replayed (${fillTicks} ticks), ${ruleCount} rules, ` +
    `${measuredTicks} ticks timed, ${reps} reps; load average before ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
);
// Compiles the evaluation path before anything is timed, so the first case does not pay for it.
{
  const ev = new RuleEvaluator({ defaultCooldownSeconds: 300 });
  const index = RuleIndex.build(rules(3600));
  for (let k = 0; k < 2000; k++) ev.evaluate({ type: 'price', symbol: SYMBOL, price: 100 + Math.sin(k / 100), at: T0 + k * step }, index);
}
/**
 * One run on a fresh evaluator. Its own function, so that no frame of the caller still holds the
 * previous run's evaluator when the next run weighs the memory it starts from.
 */
async function run(index: unknown, fillIndex: unknown): Promise<{ tickMs: number; fillUs: number; keptMb: number; alerts: number }> {
  await settle();
  const m0 = memoryMb();
  const ev = new RuleEvaluator({ defaultCooldownSeconds: 300 });
  let alerts = 0;
  const f0 = cpuUs();
  for (let k = 0; k < fillTicks; k++) {
    const price = 100 + Math.sin(k / 1000);
    alerts += ev.evaluate({ type: 'price', symbol: SYMBOL, price, at: T0 + k * step }, fillIndex).firings.length;
  }
  const fillUs = (cpuUs() - f0) / fillTicks;
  const c0 = cpuUs();
  for (let k = 0; k < measuredTicks; k++) {
    alerts += ev.evaluate({ type: 'price', symbol: SYMBOL, price: 100, at: T0 + (fillTicks + k) * step }, index).firings.length;
  }
  const tickMs = (cpuUs() - c0) / 1000 / measuredTicks;
  // Holds the evaluator, and so the window being weighed, through the collection.
  alive.push(ev);
  await settle();
  const keptMb = memoryMb() - m0;
  alive.length = 0;
  return { tickMs, fillUs, keptMb, alerts };
}

for (const longWindow of windows) {
  const all = rules(longWindow);
  const index = RuleIndex.build(all);
  const fillIndex = RuleIndex.build(all.slice(0, 1));
  const runs = [];
  for (let rep = 0; rep < reps; rep++) runs.push(await run(index, fillIndex));
  const perTick = runs.map((r) => r.tickMs);
  const kept = runs.map((r) => r.keptMb);
  console.log(
    `window ${String(longWindow).padStart(6)} s: ${median(perTick).toFixed(3)} ms/tick CPU at ${ruleCount} rules (median of ${reps}: ` +
      `${perTick.map((x) => x.toFixed(3)).join(', ')}); replay ${median(runs.map((r) => r.fillUs)).toFixed(2)} µs/tick; ` +
      `memory kept ${signed(median(kept))} MB (${kept.map(signed).join(', ')}); ${runs[0].alerts} alerts`,
  );
}
console.log(
  `load average after ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
