// In-process micro-benchmark of the publish API's request side (issue 19): the tRPC procedure
// `publish.batch` as the REST handler calls it (scope check, input and output validation) and the
// publisher it hands the events to (the payload check, envelope), against the publisher called
// directly as the gRPC door calls it (the whole event's check, envelope).
// The bus and the published-id store are stubs: bus_micro.mts, path_micro.mts and claim_micro.mts
// measure those. 100 equity_update events per request, as bench/fanout's 100-channel rows publish;
// `--events 1`: one event per call through `publish.one` (the per-call cost of tRPC itself).
// Prints CPU µs per published event, the median of `--reps` alternating runs. Build first.
//
//   node bench/fanout/route_micro.mts [--requests N] [--reps N] [--events N]
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const { createLogger } = require('@marketpulse/runtime');
const { appRouter, checkWholeEvent, createEventPublisher } = require('@marketpulse/gateway');

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '2000' },
    reps: { type: 'string', default: '5' },
    events: { type: 'string', default: '100' },
  },
});
const requests = Number(values.requests);
const PER_REQUEST = Number(values.events);

const logger = createLogger('route-micro', {}, { level: 'warn' });
const bus = { publish: async () => {} };
const publisher = createEventPublisher(bus, logger, { claim: async () => [], release: async () => {} });
const principal = { userId: 'bench-publisher', scopes: ['publish'], channels: ['*'], method: 'jwt' };
const ctx = { principal, services: {}, apiKeys: {}, publisher, feed: {}, logger };

let n = 0;
// A fresh body per request, as JSON.parse hands the REST handler one.
const body = () => ({
  events: Array.from({ length: PER_REQUEST }, (_, c) => ({
    id: `r0-s3-${n++}`,
    type: 'equity_update',
    subject: `BENCH${c}`,
    data: { total_equity: String(n), current_equity: '10250.50' },
  })),
});

const ways: Record<string, (input: { events: unknown[] }) => Promise<unknown>> = {
  [`tRPC publish.${PER_REQUEST === 1 ? 'one' : 'batch'} + publisher`]: (input) =>
    PER_REQUEST === 1 ? appRouter.createCaller(ctx).publish.one(input.events[0]) : appRouter.createCaller(ctx).publish.batch(input),
  'publisher alone': (input) => publisher.publish(input.events, checkWholeEvent, principal.userId),
};

async function run(way: (input: { events: unknown[] }) => Promise<unknown>): Promise<number> {
  const inputs = Array.from({ length: requests }, body);
  const start = process.cpuUsage();
  for (const input of inputs) await way(input);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / (requests * PER_REQUEST);
}

console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
for (const way of Object.values(ways)) await run(way); // warm-up
const runs: Record<string, number[]> = Object.fromEntries(Object.keys(ways).map((k) => [k, []]));
for (let i = 0; i < Number(values.reps); i++) for (const [name, way] of Object.entries(ways)) runs[name]!.push(await run(way));
for (const [name, us] of Object.entries(runs)) {
  const sorted = [...us].sort((a, b) => a - b);
  console.log(
    `${name}: ${sorted[Math.floor(sorted.length / 2)]!.toFixed(2)} µs per event (runs ${us.map((u) => u.toFixed(2)).join(', ')})`,
  );
}
