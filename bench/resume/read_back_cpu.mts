// bench/resume/read_back_cpu.mts: the read-back thread's CPU per replayed event for what it does
// after the fetch (merging, decoding each record, the publication, visibility, the door's frame, the
// chunk's buffer), in-process on recorded records (no Kafka, no socket, no second thread), so two
// builds of gateway/dist compare to within a few per cent on a machine others share. The records are
// run.mts's: one symbol's ticks with a traceparent header, on 3 partitions, read back for the
// market-data door (or `--door`), 100 records per pull as the gateway asks. `--cpu-prof` profiles it.
//
// `--dist` takes another build of the gateway (a copy of gateway/dist inside gateway/, so that its
// imports resolve): two builds compare interleaved without swapping the shared one.
//
//   node bench/resume/read_back_cpu.mts [--events 30000] [--reps 5] [--door market-data|trpc|stream] [--dist gateway/dist]
import { randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { events } from '@marketpulse/proto';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '30000' },
    reps: { type: 'string', default: '5' },
    door: { type: 'string', default: 'market-data' },
    dist: { type: 'string', default: 'gateway/dist' },
  },
});
const require = createRequire(import.meta.url);
const dist = join(dirname(fileURLToPath(import.meta.url)), '..', '..', values.dist);
const { serveLogReads } = require(join(dist, 'ws/history/log_read_server.js'));
// The bench's gateway runs without auth: every client is anonymous.
const { ANONYMOUS } = require(join(dist, 'auth/principal.js'));
const EVENTS = Number(values.events);
const REPS = Number(values.reps);
const PARTITIONS = 3;
const TOPIC = 'bench.read-back-cpu.market_data_update';
const RECIPES: Record<string, object> = {
  'market-data': { door: 'market-data' },
  trpc: { door: 'trpc' },
  stream: { door: 'stream', id: 's1', type: 'events', filters: {}, format: 'json' },
};
const recipe = RECIPES[values.door];
if (!recipe) throw new Error(`--door is one of ${Object.keys(RECIPES).join(', ')}`);

/** run.mts's ticks, 10 a millisecond, on partitions by turn, as a producer writes them. */
function records(): Map<string, object[]> {
  const byKey = new Map<string, object[]>();
  const start = Date.now();
  for (let n = 0; n < EVENTS; n++) {
    const time = new Date(start + Math.floor(n / 10)).toISOString();
    const value = events.Event.encode(
      events.Event.fromPartial({
        id: randomUUID(),
        type: 'market_data_update',
        source: 'bench-resume',
        subject: 'CATCH',
        time,
        payload: { $case: 'market_data_update', market_data_update: { symbol: 'CATCH', price: n + 2, volume: 1, timestamp: time } },
      }),
    ).finish();
    const partition = n % PARTITIONS;
    const key = `${TOPIC}:${partition}`;
    const list = byKey.get(key) ?? byKey.set(key, []).get(key)!;
    list.push({
      topic: TOPIC,
      partition,
      offset: list.length,
      timestamp: start + Math.floor(n / 10),
      key: Buffer.from('CATCH'),
      value: Buffer.from(value),
      headers: { traceparent: Buffer.from(`00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`) },
    });
  }
  return byKey;
}

const recorded = records();
const log = {
  // About what a 128 KiB fetch of a partition brings; advancing `from` as KafkaLog does.
  async fetch(ranges: { key: string; from: number; to: number }[]) {
    return new Map(
      ranges.map((range) => {
        const records = recorded.get(range.key)!.slice(range.from, Math.min(range.to, range.from + 700));
        range.from += records.length;
        return [range.key, records];
      }),
    );
  },
};

/** One read-back of every recorded event; its CPU (this process) and the frames' bytes. */
async function readBack(id: number): Promise<{ cpuUs: number; frames: number; bytes: number }> {
  let onReply: (reply: { frames?: { ends: Uint32Array; wire: Uint8Array }; end?: boolean; failed?: string }) => void = () => {};
  let listener: (request: object) => void = () => {};
  serveLogReads({ postMessage: (reply: never) => onReply(reply), on: (_: string, l: (request: object) => void) => (listener = l) }, log);
  const ranges = () => [...recorded.keys()].map((key) => ({ key, from: 0, to: recorded.get(key)!.length }));
  const codec = { epoch: new Uint8Array(4), topics: [TOPIC] };
  const cpu = process.cpuUsage();
  listener({ op: 'open', id, ranges: ranges(), codec, client: { recipe, channels: ['market-data:CATCH'], records: 100 } });
  let frames = 0;
  let bytes = 0;
  for (;;) {
    const reply = await new Promise<Parameters<typeof onReply>[0]>((resolve) => {
      onReply = resolve;
      listener({ op: 'pull', id, ranges: ranges(), principal: ANONYMOUS });
    });
    if (reply.failed) throw new Error(reply.failed);
    frames += reply.frames!.ends.length;
    bytes += reply.frames!.wire.byteLength;
    if (reply.end) break;
  }
  const used = process.cpuUsage(cpu);
  return { cpuUs: used.user + used.system, frames, bytes };
}

await readBack(0); // warm-up: the JIT, the caches
const perEvent: number[] = [];
for (let rep = 1; rep <= REPS; rep++) {
  const { cpuUs, frames, bytes } = await readBack(rep);
  if (frames !== EVENTS) throw new Error(`${frames} frames for ${EVENTS} events`);
  perEvent.push(cpuUs / EVENTS);
  console.log(`rep ${rep}: ${(cpuUs / EVENTS).toFixed(2)} µs CPU per event (${frames} frames, ${bytes} bytes)`);
}
perEvent.sort((a, b) => a - b);
console.log(
  `read_back_cpu: ${values.dist}, ${values.door}, ${EVENTS} events × ${REPS}: median ${perEvent[Math.floor(REPS / 2)]!.toFixed(2)} µs per event (min ${perEvent[0]!.toFixed(2)}), load ${(await import('node:os')).loadavg()[0]!.toFixed(1)}`,
);
