// In-process micro-benchmark of the gateway's bounded caches once full (session 17): the
// per-client rate limiter at its bound of 100,000 clients (as the API's, the operator routes' and
// the WebSocket key look-ups' limiters run) taking a new client each call, which makes it forget
// its least recently used one. Until session 17 that walked past every client forgotten since V8
// last rebuilt the Map (runtime's OrderedMap now). Prints CPU µs per new client, below the bound
// and then in three stretches at it (the old cost grew stretch by stretch). claim_micro.mts
// measures the publish API's id store the same way. Build first.
//
//   node bench/fanout/cache_micro.mts
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';

const require = createRequire(import.meta.url);
const { RateLimiter } = require('@marketpulse/gateway');

const limiter = new RateLimiter({ perMinute: 600, burst: 100 });
let n = 0;
/** CPU µs per call of `calls` new clients. */
function perNewClient(calls: number): number {
  const start = process.cpuUsage();
  for (let i = 0; i < calls; i++) limiter.take(`client-${n++}`);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / calls;
}

console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const below = perNewClient(100_000);
const atBound = [perNewClient(20_000), perNewClient(50_000), perNewClient(50_000)];
console.log(
  `rate limiter, new client: ${below.toFixed(2)} µs below the bound (100,000 clients); at it ${atBound.map((u) => u.toFixed(2)).join(', ')}`,
);
