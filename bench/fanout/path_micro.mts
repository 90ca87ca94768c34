// In-process micro-benchmark of the gateway's whole per-publication path below HTTP (issue 19): the
// publish API's publisher (validation, envelope), the in-memory bus (protobuf encode, partition log,
// decode, consumer span), the event consumer and the hub, with 100 `/ws/stream` subscriptions
// filtered by subject and one subscriber each (no sockets). Runs from the built packages: build first.
// Prints CPU µs per published event, the median of `--reps` runs.
//
//   node bench/fanout/path_micro.mts [--rounds N] [--reps N]
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const { MemoryBus, MemoryBroker, createLogger } = require('@marketpulse/runtime');
const {
  checkWholeEvent,
  createEventPublisher,
  startEventConsumer,
  Hub,
  PositionIndex,
  streamEncoder,
  subscriptionId,
} = require('@marketpulse/gateway');

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '1000' }, reps: { type: 'string', default: '3' } } });
const rounds = Number(values.rounds);
const CHANNELS = 100;
const principal = { userId: 'bench', scopes: ['read'], channels: ['*'], method: 'jwt' };
const tick = () => new Promise((resolve) => setImmediate(resolve));

async function run(): Promise<number> {
  const logger = createLogger('path-micro', {}, { level: 'warn' });
  const bus = new MemoryBus({ broker: new MemoryBroker({ logger }), topicPrefix: 'micro.' });
  const hub = new Hub(1000, () => {}, Infinity);
  let delivered = 0;
  for (let c = 0; c < CHANNELS; c++) {
    const filters = { subject: `BENCH${c}` };
    hub.subscribe('events', streamEncoder(subscriptionId('events', filters), 'events', filters), {
      principal,
      deliver: (frame: { wire: Buffer }) => {
        if (frame.wire.length > 0) delivered++;
      },
    });
  }
  // The resume history as the gateway's service hands it over on the in-memory bus (no Kafka log), with its defaults.
  const history = { index: new PositionIndex({ capacity: 200_000, maxAgeMs: 3_600_000 }), log: undefined, warmCount: 0, warmAgeMs: 0 };
  const consumer = await startEventConsumer({ bus, hub, groupId: 'micro', logger, history: { ...history, topicOf: (t: string) => t } });
  // The published-id store is PostgreSQL/PGlite in the gateway: left out here (one query per request, not per event).
  const publisher = createEventPublisher(bus, logger, { claim: async () => [], release: async () => {} });
  let n = 0;
  const round = () =>
    Array.from({ length: CHANNELS }, (_, c) => ({
      id: `e${n++}`,
      type: 'equity_update',
      subject: `BENCH${c}`,
      data: { total_equity: String(n), current_equity: '100.5' },
    }));
  for (let r = 0; r < 50; r++) await publisher.publish(round(), checkWholeEvent, 'bench');
  while (delivered < 50 * CHANNELS) await tick();
  delivered = 0;
  const start = process.cpuUsage();
  for (let r = 0; r < rounds; r++) {
    await publisher.publish(round(), checkWholeEvent, 'bench');
    await tick();
  }
  while (delivered < rounds * CHANNELS) await tick();
  const used = process.cpuUsage(start);
  await consumer.close();
  await bus.close();
  return (used.user + used.system) / (rounds * CHANNELS);
}

console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const runs: number[] = [];
for (let i = 0; i < Number(values.reps); i++) runs.push(await run());
const sorted = [...runs].sort((a, b) => a - b);
console.log(
  `publisher + memory bus + consumer + hub, ${CHANNELS} subscriptions: ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} µs per published event ` +
    `(runs ${runs.map((u) => u.toFixed(1)).join(', ')})`,
);
