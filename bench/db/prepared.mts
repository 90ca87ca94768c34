/**
 * Hot webhook-delivery statements with and without named prepared statements on PostgreSQL.
 *
 *   node bench/db/prepared.mts        (after `pnpm run build`; PostgreSQL on DATABASE_URL, default
 *                                      postgres://postgres@127.0.0.1:5432/postgres)
 *
 * Builds the webhook-delivery schema in a fresh schema (its own migrations and stores from
 * services/webhook-delivery/dist), BENCH_ENDPOINTS endpoints (default 10) and BENCH_EVENTS events
 * (default 2,000; one delivery per endpoint each), all delivered, then times, one call after another
 * on one connection, the statements a worker runs all the time:
 *   - claim: DeliveryStore.claimDue when nothing is due (the worker's poll);
 *   - get:   DeliveryStore.get of a delivery by id;
 *   - insert: DeliveryStore.insertForEvents of one new event (a delivery per endpoint).
 * Each of BENCH_ROUNDS rounds (default 7) runs BENCH_CALLS calls (default 400) per statement on a
 * Database with `prepare: false` (today's unnamed statements) and one with preparation, the order
 * alternating between rounds; it prints the median µs per call of each and the load average.
 * At the end it drops the schema.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PostgresDatabase } from '@marketpulse/runtime';

const ROOT = join(import.meta.dirname, '..', '..');
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ENDPOINTS = Number(process.env.BENCH_ENDPOINTS ?? 10);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const CALLS = Number(process.env.BENCH_CALLS ?? 400);
const SERVICE = `bench_prepared_${process.pid}`;

const store = (file: string) => import(pathToFileURL(join(ROOT, 'services/webhook-delivery/dist/store', file)).href);
const { migrations } = await store('migrations.js');
const { DeliveryStore } = await store('delivery_store.js');
const { EndpointStore } = await store('endpoint_store.js');

const open = (prepare: boolean) => PostgresDatabase.open({ service: SERVICE, url: DATABASE_URL, poolSize: 1, prepare });
const modes = { unnamed: await open(false), prepared: await open(true) };
let seq = 0;
const event = () => ({ id: `evt_${process.pid}_${seq++}`, type: 'prediction_complete', subject: 'AAPL', owner: '', body: '{"x":1}' });

try {
  await modes.unnamed.migrate(migrations);
  const endpoints = new EndpointStore(modes.unnamed);
  for (let i = 0; i < ENDPOINTS; i++) {
    await endpoints.createWithin(
      {
        owner_id: '',
        url: `http://127.0.0.1:9/${i}`,
        description: '',
        event_types: [],
        subjects: [],
        active: true,
        headers: {},
        secret: 'bench-secret',
        rate_limit_per_second: null,
      },
      Infinity,
    );
  }
  const setup = new DeliveryStore(modes.unnamed);
  for (let i = 0; i < EVENTS; i += 500) await setup.insertForEvents(Array.from({ length: Math.min(500, EVENTS - i) }, event), 1 << 20);
  await modes.unnamed.exec(
    "UPDATE deliveries SET status = 'delivered', next_attempt_at = NULL, completed_at = now(); ANALYZE deliveries; ANALYZE endpoints",
  );
  const ids = (await modes.unnamed.query<{ id: string }>('SELECT id FROM deliveries ORDER BY id LIMIT 1000')).rows.map((r) => r.id);

  const statements = {
    // As the worker polls: with its per-endpoint cap (nothing in flight).
    claim: (s: typeof setup) => s.claimDue(10, 30_000, 'bench-claim', { max: 24, busy: new Map() }),
    get: (s: typeof setup, n: number) => s.get(ids[n % ids.length]),
    insert: (s: typeof setup) => s.insertForEvents([event()], 1 << 20),
  };
  const samples: Record<string, Record<string, number[]>> = {};
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['unnamed', 'prepared'] as const) : (['prepared', 'unnamed'] as const);
    for (const [label, run] of Object.entries(statements)) {
      for (const mode of order) {
        const s = new DeliveryStore(modes[mode]);
        for (let n = 0; n < 20; n++) await run(s, n); // warm-up: the connection, and the statement's name
        const start = process.hrtime.bigint();
        for (let n = 0; n < CALLS; n++) await run(s, n);
        const us = Number(process.hrtime.bigint() - start) / 1000 / CALLS;
        ((samples[label] ??= {})[mode] ??= []).push(us);
      }
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`${ROUNDS} interleaved rounds x ${CALLS} sequential calls, one connection; µs per call, median (min-max)`);
  for (const [label, byMode] of Object.entries(samples)) {
    const [u, p] = [byMode.unnamed, byMode.prepared];
    const fmt = (xs: number[]) => `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)})`;
    console.log(`${label.padEnd(7)} unnamed ${fmt(u)}  prepared ${fmt(p)}  prepared/unnamed ${(median(p) / median(u)).toFixed(2)}`);
  }
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
} finally {
  await modes.unnamed.exec(`DROP SCHEMA IF EXISTS "${SERVICE}" CASCADE`).catch(() => undefined);
  await modes.unnamed.close();
  await modes.prepared.close();
}
