// In-process micro-benchmark of alerting's rule evaluation (services/alerting/dist, build first with
// `pnpm exec tsc -b services/alerting`): one evaluator, a rule set of N rules (users of 100 rules
// each over 500 symbols, the condition kinds mixed), and an event stream of price ticks over those
// symbols with a prediction every 10th event and an equity update every 20th. Prints CPU µs per
// event, the median of `--reps` runs (each on a fresh evaluator, after a warm-up pass), the time to
// index the rule set (paid once per rule-set change, not per event), the alerts raised (the same for
// any build given the same arguments) and the load average.
//
//   node bench/alerting/evaluate_micro.mts [--rules 100,20000] [--events N] [--reps N] [--evaluator path]
//
// `--evaluator` loads another build's evaluator.js (an A/B against an older build): one without a
// rule_index.js beside it is given the rule list on every event, as that code was.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    rules: { type: 'string', default: '100,20000' },
    events: { type: 'string', default: '10000' },
    reps: { type: 'string', default: '3' },
    evaluator: { type: 'string', default: join(here, '../../services/alerting/dist/evaluation/evaluator.js') },
  },
});
const ruleCounts = values.rules.split(',').map(Number);
const events = Number(values.events);
const reps = Number(values.reps);
const evaluatorPath = resolve(values.evaluator);
const indexPath = join(dirname(evaluatorPath), 'rule_index.js');

const require = createRequire(import.meta.url);
const { RuleEvaluator } = require(evaluatorPath);
const RuleIndex = existsSync(indexPath) ? require(indexPath).RuleIndex : undefined;

const SYMBOLS = Array.from({ length: 500 }, (_, i) => `SYM${String(i).padStart(3, '0')}`);
const T0 = Date.parse('2025-01-02T10:00:00Z');

/** Deterministic, so every build sees the same rules and events. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function condition(r: () => number): { symbol: string; condition: Record<string, unknown> } {
  const symbol = SYMBOLS[Math.floor(r() * SYMBOLS.length)];
  const level = 95 + Math.floor(r() * 11);
  const x = r();
  if (x < 0.3) return { symbol, condition: { type: 'price_above', price: level } };
  if (x < 0.6) return { symbol, condition: { type: 'price_below', price: level } };
  if (x < 0.75) return { symbol, condition: { type: 'percent_move', percent: 5, window_seconds: 300, direction: 'either' } };
  if (x < 0.85)
    return { symbol, condition: { type: 'prediction_crossing', level, direction: 'either', horizon_seconds: r() < 0.5 ? 0 : 300 } };
  if (x < 0.9) return { symbol, condition: { type: 'prediction_interval_exit', horizon_seconds: 0 } };
  if (x < 0.95)
    return {
      symbol: '',
      condition: {
        type: 'risk_threshold',
        drawdown_soft_pause: 0.05,
        drawdown_hard_stop: 0.1,
        daily_loss_soft_pause: 0,
        daily_loss_hard_stop: 0,
      },
    };
  return { symbol: '', condition: { type: 'risk_status', statuses: [] } };
}

function ruleSet(n: number): unknown[] {
  const r = prng(n);
  return Array.from({ length: n }, (_, i) => ({
    id: `rule-${i}`,
    user_id: `user-${Math.floor(i / 100)}`,
    name: `rule ${i}`,
    description: '',
    severity: 'warning',
    enabled: r() > 0.05,
    system: false,
    cooldown_seconds: 60,
    created_at: '',
    updated_at: '',
    last_triggered_at: undefined,
    ...condition(r),
  }));
}

function eventStream(): unknown[] {
  const r = prng(7);
  const prices = SYMBOLS.map(() => 100);
  return Array.from({ length: events }, (_, i) => {
    const at = T0 + i * 50;
    const k = Math.floor(r() * SYMBOLS.length);
    prices[k] = Math.max(80, Math.min(120, prices[k] + (r() - 0.5) * 1));
    const symbol = SYMBOLS[k];
    if (i % 20 === 19) {
      return { type: 'equity', subject: `acct-${k % 10}`, owner: '', peak_equity: 100, current_equity: 97 + r() * 2, at };
    }
    if (i % 10 === 9) {
      const p = prices[k] + (r() - 0.5) * 2;
      return {
        type: 'prediction',
        id: `pred-${i}`,
        symbol,
        horizon_seconds: 300,
        predicted_price: p,
        lower: p - 3,
        upper: p + 3,
        made_at: at,
        target_at: at + 300_000,
        at,
      };
    }
    return { type: 'price', symbol, price: prices[k], at };
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

const stream = eventStream();
const warmUp = stream.slice(0, Math.min(5000, stream.length));
console.log(
  `evaluator ${evaluatorPath}${RuleIndex ? '' : ' (no rule index: the rule list on every event)'}; ${events} events, ${reps} reps; load average before ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
for (const n of ruleCounts) {
  const rules = ruleSet(n);
  const perEvent: number[] = [];
  const builds: number[] = [];
  let alerts = 0;
  for (let rep = 0; rep < reps; rep++) {
    const b0 = process.hrtime.bigint();
    const given = RuleIndex ? RuleIndex.build(rules) : rules;
    builds.push(Number(process.hrtime.bigint() - b0) / 1e6);
    const warm = new RuleEvaluator({ defaultCooldownSeconds: 60 });
    for (const s of warmUp) warm.evaluate(s, given);
    const ev = new RuleEvaluator({ defaultCooldownSeconds: 60 });
    alerts = 0;
    const c0 = cpuUs();
    for (const s of stream) alerts += ev.evaluate(s, given).firings.length;
    perEvent.push((cpuUs() - c0) / events);
  }
  console.log(
    `rules ${String(n).padStart(6)}: ${median(perEvent).toFixed(2)} µs/event CPU (median of ${reps}: ${perEvent.map((x) => x.toFixed(2)).join(', ')})` +
      (RuleIndex ? `; index built in ${median(builds).toFixed(2)} ms` : '') +
      `; ${alerts} alerts`,
  );
}
console.log(
  `load average after ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
