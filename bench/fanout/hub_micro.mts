// In-process micro-benchmark of the gateway hub's per-publication path (issue 19): the hub from
// gateway/dist (build first) with `/ws/stream` `events` subscriptions filtered by subject, one per
// channel, as bench/fanout's receivers hold them, and subscribers that only take the frame's wire
// bytes (no sockets). Prints CPU µs per published event, the median of `--reps` runs.
//
//   node bench/fanout/hub_micro.mts [--events N] [--reps N] [--channels N] [--per N]
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const { Hub, streamEncoder, subscriptionId } = require('@marketpulse/gateway');

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    reps: { type: 'string', default: '3' },
    channels: { type: 'string', default: '100' },
    per: { type: 'string', default: '' },
  },
});
const events = Number(values.events);
const reps = Number(values.reps);
const channels = Number(values.channels);

const principal = { userId: 'bench', scopes: ['read'], channels: ['*'], method: 'jwt' };

/** CPU µs per published event with `per` subscribers on each of `channels` distinct subscriptions. */
function run(per: number): { usPerEvent: number; deliveries: number } {
  const hub = new Hub(1000, () => {}, Infinity);
  let deliveries = 0;
  for (let c = 0; c < channels; c++) {
    const filters = { subject: `BENCH${c}` };
    const encoder = streamEncoder(subscriptionId('events', filters), 'events', filters);
    for (let s = 0; s < per; s++) {
      hub.subscribe('events', encoder, {
        principal,
        deliver(frame: { wire: Buffer }) {
          if (frame.wire.length > 0) deliveries++;
        },
      });
    }
  }
  const publish = (n: number) => {
    const c = n % channels;
    hub.publish(['portfolio', 'events'], {
      id: `e${n}`,
      type: 'equity_update',
      source: 'bench',
      subject: `BENCH${c}`,
      owner: '',
      time: '2026-12-05T20:00:00.000Z',
      traceId: '',
      data: { total_equity: String(n), current_equity: '100.5' },
    });
  };
  for (let n = 0; n < 2000; n++) publish(-1 - n); // warm-up
  deliveries = 0;
  const start = process.cpuUsage();
  for (let n = 0; n < events; n++) publish(n);
  const used = process.cpuUsage(start);
  return { usPerEvent: (used.user + used.system) / events, deliveries };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const { loadavg } = await import('node:os');
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
for (const per of values.per ? [Number(values.per)] : [1, 10]) {
  const runs = Array.from({ length: reps }, () => run(per));
  const us = runs.map((r) => r.usPerEvent);
  console.log(
    `${channels * per} subscribers × ${channels} subscriptions: ${median(us).toFixed(1)} µs per published event ` +
      `(runs ${us.map((u) => u.toFixed(1)).join(', ')}; ${runs[0]!.deliveries / events} deliveries per event)`,
  );
}
