// In-process micro-benchmark of the in-memory bus (issue 19): batches of 100 equity_update events
// through MemoryBus to one consumer group whose handler does nothing. "round trip" publishes events
// as other services do (encoded at publish, decoded for the consumers: what every event cost before
// issue 19); "handed along" publishes them marked as in decoded form, as the publish API does now.
// Prints CPU µs per event, the median of `--reps` alternating runs. Build first.
//
//   node bench/fanout/bus_micro.mts [--rounds N] [--reps N]
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const { MemoryBus, MemoryBroker, createLogger, markDecodedForm } = require('@marketpulse/runtime');
const { events } = require('@marketpulse/proto');

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '1000' }, reps: { type: 'string', default: '5' } } });
const rounds = Number(values.rounds);
const PER_ROUND = 100;
const tick = () => new Promise((resolve) => setImmediate(resolve));

async function run(marked: boolean): Promise<number> {
  const logger = createLogger('bus-micro', {}, { level: 'warn' });
  const bus = new MemoryBus({ broker: new MemoryBroker({ logger }), topicPrefix: 'micro.' });
  let handled = 0;
  await bus.subscribe({ groupId: 'g', types: ['equity_update'], handler: async () => void handled++ });
  let n = 0;
  const round = () =>
    Array.from({ length: PER_ROUND }, (_, c) => {
      const event = events.Event.fromPartial({
        id: `bench/e${n++}`,
        type: 'equity_update',
        source: 'bench',
        subject: `BENCH${c}`,
        time: new Date().toISOString(),
        payload: { $case: 'equity_update', equity_update: { total_equity: String(n), current_equity: '100.5' } },
      });
      return marked ? markDecodedForm(event) : event;
    });
  for (let r = 0; r < 50; r++) await bus.publish(round());
  while (handled < 50 * PER_ROUND) await tick();
  handled = 0;
  const start = process.cpuUsage();
  for (let r = 0; r < rounds; r++) {
    await bus.publish(round());
    await tick();
  }
  while (handled < rounds * PER_ROUND) await tick();
  const used = process.cpuUsage(start);
  await bus.close();
  return (used.user + used.system) / (rounds * PER_ROUND);
}

console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const runs = { 'round trip': [] as number[], 'handed along': [] as number[] };
for (let i = 0; i < Number(values.reps); i++) {
  runs['round trip'].push(await run(false));
  runs['handed along'].push(await run(true));
}
for (const [name, us] of Object.entries(runs)) {
  const sorted = [...us].sort((a, b) => a - b);
  console.log(
    `memory bus, ${name}: ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} µs per event (runs ${us.map((u) => u.toFixed(1)).join(', ')})`,
  );
}
