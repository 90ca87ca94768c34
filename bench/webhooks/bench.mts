/**
 * Webhook deliveries per second into a local receiver, and latency from event publish to receipt.
 *
 *   node bench/webhooks/bench.mts      (after `pnpm run build`; Kafka on KAFKA_BROKERS, default
 *                                       127.0.0.1:9092; PostgreSQL on DATABASE_URL, default
 *                                       postgres://postgres@127.0.0.1:5432/postgres)
 *
 * Starts services/webhook-delivery/dist/main.js as its own process (a fresh schema through a unique
 * SERVICE_NAME, a fresh topic prefix), one endpoint subscribed to every type on an HTTP receiver on
 * 127.0.0.1 that answers 200 at once, and publishes prediction_complete events through Kafka:
 *   - fixed: BENCH_RATE events/s (default 500) for BENCH_DURATION_MS (default 10 s);
 *   - max:   BENCH_MAX_EVENTS events (default 20,000) published as fast as Kafka takes them.
 * Each phase prints deliveries/s (receipts over the phase, and for max the steady middle 80 %)
 * and p50/p99/max of publish -> receipt (the body's timestamp is the publish time).
 * WEBHOOK_* variables in the environment are passed to the service (e.g. WEBHOOK_WORKERS).
 * At the end it drops the schema and deletes the run's topics and consumer groups.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { events, webhooks } from '@marketpulse/proto';
import { deleteBenchTopics } from '../kafka_cleanup.mts';
import { createClient, createLogger, KafkaBus, PostgresDatabase } from '@marketpulse/runtime';

const ROOT = join(import.meta.dirname, '..', '..');
const RATE = Number(process.env.BENCH_RATE ?? 500);
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 10_000);
const MAX_EVENTS = Number(process.env.BENCH_MAX_EVENTS ?? 20_000);
const BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const GRPC_PORT = Number(process.env.BENCH_GRPC_PORT ?? 50154);
const run = `${Date.now().toString(36)}${process.pid}`;
const SERVICE = `webhook_bench_${run}`;
const PREFIX = `bench.webhooks.${run}.`;

const line = (name: string, value: number, unit: string, extra: Record<string, unknown> = {}) =>
  console.log(JSON.stringify({ bench: 'webhooks', name, value: Math.round(value * 10) / 10, unit, ...extra }));

interface Receipt {
  at: number;
  latencyMs: number;
}
const receipts = new Map<string, Receipt>();
let duplicates = 0;

const receiver = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const at = Date.now();
    const id = String(req.headers['webhook-id']);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { timestamp: string };
    if (receipts.has(id)) duplicates += 1;
    else receipts.set(id, { at, latencyMs: at - Date.parse(body.timestamp) });
    res.writeHead(204).end();
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/bench`;

const serviceEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('WEBHOOK_')));
const child = spawn(
  process.execPath,
  ['--require', join(ROOT, 'services/runtime/dist/telemetry/register.js'), join(ROOT, 'services/webhook-delivery/dist/main.js')],
  {
    env: {
      ...process.env,
      BUS: 'kafka',
      KAFKA_BROKERS: BROKERS,
      KAFKA_TOPIC_PREFIX: PREFIX,
      DATABASE_URL,
      SERVICE_NAME: SERVICE,
      GRPC_PORT: String(GRPC_PORT),
      LOG_LEVEL: 'warn',
      WEBHOOK_ALLOW_LOOPBACK: 'true',
      ...serviceEnv,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
let output = '';
child.stdout.on('data', (c: Buffer) => (output += c.toString()));
const exited = new Promise<void>((r) => child.once('exit', () => r()));

const bus = new KafkaBus({
  brokers: BROKERS.split(','),
  clientId: 'webhook-bench',
  topicPrefix: PREFIX,
  partitions: 3,
  logger: createLogger('webhook-bench', {}, { level: 'warn' }),
});
const grpcClient = createClient(webhooks.WebhookServiceClient, `127.0.0.1:${GRPC_PORT}`, { deadlineMs: 10_000 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

try {
  // main.js logs "ready" (level info) only when LOG_LEVEL allows; wait for the gRPC port instead.
  for (let i = 0; ; i++) {
    const ok = await new Promise<boolean>((resolve) => grpcClient.listEndpoints({ user_id: 'bench' }, (err) => resolve(!err)));
    if (ok) break;
    if (i > 120) throw new Error(`webhook-delivery did not answer on ${GRPC_PORT}: ${output.slice(-2000)}`);
    await sleep(500);
  }
  await new Promise<void>((resolve, reject) =>
    grpcClient.createEndpoint(
      { endpoint: webhooks.Endpoint.fromPartial({ user_id: 'bench', url: receiverUrl, events: ['*'], active: true }) },
      (err) => (err ? reject(err) : resolve()),
    ),
  );
  // Intake joins its consumer group shortly after the gRPC server is up.
  await sleep(3000);

  let seq = 0;
  const event = (): events.Event => {
    const symbol = `SYM${seq % 16}`;
    return events.Event.fromPartial({
      id: `bench_${run}_${seq++}`,
      type: 'prediction_complete',
      source: 'bench',
      subject: symbol,
      time: new Date().toISOString(),
      payload: {
        $case: 'prediction_complete',
        prediction_complete: { symbol, predicted_price: 100 + (seq % 50), confidence: 0.8, horizon_seconds: 3600 },
      },
    });
  };

  const report = (phase: string, ids: string[], startedAt: number, extra: Record<string, unknown> = {}) => {
    const got = ids.map((id) => receipts.get(id)).filter((r): r is Receipt => r !== undefined);
    const lat = got.map((r) => r.latencyMs).sort((a, b) => a - b);
    const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] ?? NaN;
    const last = Math.max(...got.map((r) => r.at));
    line(`${phase}_deliveries_per_s`, got.length / ((last - startedAt) / 1000), 'deliveries/s', {
      delivered: got.length,
      published: ids.length,
      ...extra,
    });
    line(`${phase}_latency_p50`, pct(50), 'ms');
    line(`${phase}_latency_p99`, pct(99), 'ms');
    line(`${phase}_latency_max`, lat.at(-1) ?? NaN, 'ms');
  };
  const waitDelivered = async (ids: string[], timeoutMs: number) => {
    const end = Date.now() + timeoutMs;
    while (ids.some((id) => !receipts.has(id)) && Date.now() < end) await sleep(50);
  };

  // Fixed rate: a batch every 20 ms, sized so the rate holds even when a publish runs late.
  const fixedIds: string[] = [];
  const fixedStart = Date.now();
  while (Date.now() - fixedStart < DURATION_MS) {
    const due = Math.floor(((Date.now() - fixedStart) / 1000) * RATE) - fixedIds.length;
    if (due > 0) {
      const batch = Array.from({ length: due }, event);
      fixedIds.push(...batch.map((e) => e.id));
      await bus.publish(batch);
    }
    await sleep(20);
  }
  await waitDelivered(fixedIds, 60_000);
  report('fixed', fixedIds, fixedStart, { target_rate: RATE });

  // Maximum: publish everything as fast as Kafka accepts it.
  const maxIds: string[] = [];
  const maxStart = Date.now();
  while (maxIds.length < MAX_EVENTS) {
    const batch = Array.from({ length: Math.min(500, MAX_EVENTS - maxIds.length) }, event);
    maxIds.push(...batch.map((e) => e.id));
    await bus.publish(batch);
  }
  const publishedIn = Date.now() - maxStart;
  await waitDelivered(maxIds, 300_000);
  report('max', maxIds, maxStart, { publish_ms: publishedIn });
  const times = maxIds
    .map((id) => receipts.get(id)?.at)
    .filter((t): t is number => t !== undefined)
    .sort((a, b) => a - b);
  const lo = times[Math.floor(times.length * 0.1)];
  const hi = times[Math.floor(times.length * 0.9)];
  line('max_steady_deliveries_per_s', (times.length * 0.8) / ((hi - lo) / 1000), 'deliveries/s', { window: 'middle 80% of receipts' });
  line('duplicates', duplicates, 'requests');
} finally {
  grpcClient.close();
  child.kill('SIGTERM');
  await exited;
  await bus.close();
  receiver.closeAllConnections();
  receiver.close();
  const db = await PostgresDatabase.open({ service: SERVICE, url: DATABASE_URL }).catch(() => undefined);
  await db?.exec(`DROP SCHEMA IF EXISTS "${SERVICE}" CASCADE`).catch(() => undefined);
  await db?.close();
  await deleteBenchTopics(BROKERS, PREFIX);
}
