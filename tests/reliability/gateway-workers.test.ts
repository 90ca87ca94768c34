import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { mintToken } from '@marketpulse/gateway';
import { events, realtime } from '@marketpulse/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  freePort,
  kafkaBrokers,
  startProcess,
  uniqueTopicPrefix,
  waitFor,
  type ManagedProcess,
  type TestDatabase,
} from '../harness';
import { connectClient, type RecordingClient } from '../e2e/gateway_ws_client';

// Issue 19, "every core": the gateway as a real process with GATEWAY_WORKERS=2 on its embedded
// defaults (in-memory bus, PGlite held by the primary). Clients spread over both workers by the
// shared port; numbered events published through the publish API, each request on a connection of
// its own so both workers take publishes; every client must receive every event exactly once, in
// order. A worker killed with SIGKILL is forked again and serves new clients, and the other
// worker's clients never notice. The same exactly-once check on Kafka (each worker its own consumer
// group) with PostgreSQL (each worker its own pool). (Build first: pnpm run build.)

const SECRET = 'gateway-workers-test-secret-0123456789abcdef';
const SUBJECT = 'W19';
const CLIENTS = 12;
const EVENTS = 60;
const BATCH = 6;

type LogLine = { msg?: string; worker?: number; event?: string; slot?: number; pid?: number; [key: string]: unknown };

let proc: ManagedProcess;
let port: number;
let metricsPort: number;
let dataDir: string;
let token: string;
const clients: RecordingClient[] = [];

function lines(): LogLine[] {
  return proc
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

/** A request on a connection of its own (no keep-alive), so the primary hands each one to the next worker. */
function post(path: string, body: unknown, method = 'POST'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? '' : JSON.stringify(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method,
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), authorization: `Bearer ${token}` },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path}: no answer in 30 s`)));
    req.end(payload);
  });
}

const get = (path: string) => post(path, undefined, 'GET');

async function publish(ids: string[]): Promise<void> {
  const res = await post('/api/v1/publish/batch', {
    events: ids.map((id) => ({
      id,
      type: 'equity_update',
      source: 'workers-test',
      subject: SUBJECT,
      data: { total_equity: '1', current_equity: '1' },
    })),
  });
  expect(res.status, res.body).toBeLessThan(300);
}

/** A `/ws/stream` client subscribed to SUBJECT's events; `since` (an event id) resumes after that event. */
async function subscribedClient(since?: string): Promise<RecordingClient> {
  const c = connectClient(`ws://127.0.0.1:${port}/ws/stream`);
  clients.push(c);
  await c.opened();
  c.send({ type: 'subscribe', data: { type: 'events', filters: { subject: SUBJECT }, ...(since ? { since } : {}) } });
  await c.next('subscribed', 30_000);
  return c;
}

/** The event ids a client received (as `id` or in its event, by frame shape); idsOf without the publisher scope `workers-publisher/`. */
const rawIdsOf = (c: RecordingClient) => c.all('data').map((m) => String(m.data?.event?.event_id ?? m.id));
const idsOf = (c: RecordingClient) => rawIdsOf(c).map((id) => id.replace(/^workers-publisher\//, ''));

/** Starts gateway/dist/main.js with GATEWAY_WORKERS=2 and waits for the primary's "ready" (both workers serve). */
async function startWorkers(env: Record<string, string>): Promise<void> {
  clients.length = 0;
  port = await freePort();
  metricsPort = await freePort();
  proc = startProcess(
    process.execPath,
    ['gateway/dist/main.js'],
    {
      GATEWAY_WORKERS: '2',
      GATEWAY_PORT: String(port),
      METRICS_PORT: String(metricsPort),
      PUBLISH_GRPC_PORT: '0',
      JWT_SECRET: SECRET,
      LOG_LEVEL: 'info',
      OTEL_TRACES_EXPORTER: 'none',
      ...env,
    },
    { label: `gateway-workers-${env.BUS}` },
  );
  await waitFor(() => lines().some((l) => l.msg === 'ready' && l.worker === 0), {
    timeoutMs: 90_000,
    what: `the gateway's primary to report both workers ready (log: ${proc.logFile})`,
  });
  token = await mintToken({ secret: SECRET, subject: 'workers-publisher', scopes: ['publish', 'read', 'ops:read'], ttlSeconds: 600 });
}

async function stopWorkers(): Promise<void> {
  for (const c of clients) c.close();
  await proc?.stop(20_000);
}

async function everyClientGetsEveryEventOnce(): Promise<void> {
  const subscribers: RecordingClient[] = [];
  for (let i = 0; i < CLIENTS; i++) subscribers.push(await subscribedClient());
  const opensByWorker = (worker: number) => lines().filter((l) => l.event === 'websocket.open' && l.worker === worker).length;
  await waitFor(() => opensByWorker(1) + opensByWorker(2) >= CLIENTS, { timeoutMs: 10_000, what: 'an access-log line per connection' });
  expect(opensByWorker(1)).toBeGreaterThan(0);
  expect(opensByWorker(2)).toBeGreaterThan(0);

  const ids = Array.from({ length: EVENTS }, (_, i) => `w19-${String(i).padStart(3, '0')}`);
  for (let i = 0; i < EVENTS; i += BATCH) await publish(ids.slice(i, i + BATCH));
  // Both workers took publishes, so events crossed from each worker to the other.
  const publishesByWorker = (worker: number) =>
    lines().filter((l) => l.event === 'http.request' && l['url.path'] === '/api/v1/publish/batch' && l.worker === worker).length;
  expect(publishesByWorker(1)).toBeGreaterThan(0);
  expect(publishesByWorker(2)).toBeGreaterThan(0);
  // Published after all the others, so on every worker it is delivered after them: once a client
  // has it, any duplicate of an earlier event would already be there.
  await publish(['w19-end']);
  await waitFor(() => subscribers.every((c) => idsOf(c).includes('w19-end')), {
    timeoutMs: 30_000,
    what: `every client to receive the last event (first client got: ${JSON.stringify(subscribers[0]!.messages.slice(-2))})`,
  });
  for (const c of subscribers) expect(idsOf(c)).toEqual([...ids, 'w19-end']);
}

describe('gateway with GATEWAY_WORKERS=2 (in-memory bus, embedded database)', () => {
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'gateway-workers-'));
    await startWorkers({ BUS: 'memory', PGLITE_DIR: dataDir });
  }, 120_000);

  afterAll(async () => {
    await stopWorkers();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    'serves clients on both workers, and every client receives every published event exactly once, in order',
    everyClientGetsEveryEventOnce,
    120_000,
  );

  it('takes publishes over gRPC PublishService on both workers (the shared publish port), each delivered to every client once', async () => {
    const subscribers = clients.slice();
    const ready = lines().find((l) => l.msg === 'ready' && l.worker === 0) as { publish_port: number };
    const grpcIds = ['w19-grpc-1', 'w19-grpc-2', 'w19-grpc-3', 'w19-grpc-4'];
    for (const id of grpcIds) {
      // A channel (a TCP connection) of its own per call, so the primary hands each to the next worker.
      const client = new realtime.PublishServiceClient(`127.0.0.1:${ready.publish_port}`, grpc.credentials.createInsecure(), {
        'grpc.use_local_subchannel_pool': 1,
      });
      const md = new grpc.Metadata();
      md.set('authorization', `Bearer ${token}`);
      try {
        await new Promise<void>((resolve, reject) =>
          client.publish(
            {
              event: events.Event.fromPartial({
                id,
                type: 'equity_update',
                subject: SUBJECT,
                payload: { $case: 'equity_update', equity_update: { total_equity: '2', current_equity: '2' } },
              }),
            },
            md,
            { deadline: Date.now() + 20_000 },
            (err) => (err ? reject(err) : resolve()),
          ),
        );
      } finally {
        client.close();
      }
    }
    const grpcPublishers = new Set(
      lines()
        .filter((l) => l.msg === 'events published' && JSON.stringify(l.ids).includes('w19-grpc'))
        .map((l) => l.worker),
    );
    expect([...grpcPublishers].sort()).toEqual([1, 2]);
    await waitFor(() => subscribers.every((c) => idsOf(c).includes('w19-grpc-4')), { timeoutMs: 30_000, what: 'the gRPC events' });
    for (const c of subscribers) expect(idsOf(c).filter((id) => id.startsWith('w19-grpc'))).toEqual(grpcIds);
  }, 60_000);

  it("answers /metrics on any worker for the whole gateway (every worker's counters summed), on METRICS_PORT too", async () => {
    // Fresh connections alternate between the workers; each answers with both workers' connections.
    // The public port asks for ops:read (production); the workers share METRICS_PORT, which asks for nothing.
    const scrapes = [
      async () => (await get('/metrics')).body,
      async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { headers: { connection: 'close' } })).text(),
    ];
    for (const scrape of scrapes) {
      for (let i = 0; i < 4; i++) {
        const opened = /^marketpulse_ws_connections_opened_total(?:\{[^}]*\})? (\d+)/m.exec(await scrape());
        expect(Number(opened?.[1])).toBe(CLIENTS);
      }
    }
    expect(lines().find((l) => l.msg === 'ready' && l.worker === 0)).not.toHaveProperty('metrics_port');
    const workersReady = lines().filter((l) => l.msg === 'worker ready' && l.worker !== 0);
    expect(workersReady.length).toBeGreaterThanOrEqual(2);
    for (const line of workersReady) expect(line.metrics_port).toBe(metricsPort);
  });

  it('forks a killed worker again (its history warmed from the primary); its clients resume on any worker and get exactly what they missed', async () => {
    const ready = lines().find((l) => l.msg === 'ready' && l.worker === 0) as { workers: { slot: number; pid: number }[] };
    const victim = ready.workers.find((w) => w.slot === 1)!;
    const before = clients.length;
    process.kill(victim.pid, 'SIGKILL');
    // Once the primary knows (a connection handed over in the instant of the crash would wait for an
    // answer that never comes), events published while the dead worker's clients are away.
    await waitFor(() => lines().some((l) => l.msg === 'worker exited; forking it again' && l.pid === victim.pid), {
      timeoutMs: 30_000,
      what: 'the primary to see worker 1 exit',
    });
    const missed = ['w19-missed-1', 'w19-missed-2'];
    for (const id of missed) await publish([id]);
    await waitFor(() => lines().some((l) => l.msg === 'worker ready' && l.worker === 0 && l.slot === 1 && l.pid !== victim.pid), {
      timeoutMs: 60_000,
      what: 'the primary to fork worker 1 again',
    });
    const survivors = clients.slice(0, before).filter((c) => c.ws.readyState === c.ws.OPEN);
    const dropped = clients.slice(0, before).filter((c) => c.ws.readyState !== c.ws.OPEN);
    expect(survivors.length).toBeGreaterThan(0);
    expect(dropped.length).toBeGreaterThan(0);
    expect(lines().some((l) => l.msg === 'history warmed from the primary' && l.worker === 1)).toBe(true);

    // The dead worker's clients come back with the last id they got: the primary hands each new
    // connection to the next worker, so they land on the survivor and on the restarted worker.
    const resumed: RecordingClient[] = [];
    for (const c of dropped) resumed.push(await subscribedClient(rawIdsOf(c).at(-1)));
    // Fresh clients too.
    const fresh: RecordingClient[] = [];
    for (let i = 0; i < 4; i++) fresh.push(await subscribedClient());
    const more = ['w19-after-1', 'w19-after-2', 'w19-after-3', 'w19-after-4'];
    for (const id of more) await publish([id]);
    await waitFor(() => [...survivors, ...resumed, ...fresh].every((c) => idsOf(c).includes('w19-after-4')), {
      timeoutMs: 30_000,
      what: 'every open client to receive the events published after the restart',
    });
    for (const c of resumed) expect(idsOf(c)).toEqual([...missed, ...more]);
    for (const c of fresh) expect(idsOf(c)).toEqual(more);
    for (const c of survivors) expect(idsOf(c).slice(-(missed.length + more.length))).toEqual([...missed, ...more]);
    // The new worker 1 took some of them (its lines come after the primary's restart line).
    const all = lines();
    const restarted = all.findIndex((l) => l.msg === 'worker ready' && l.worker === 0 && l.slot === 1 && l.pid !== victim.pid);
    expect(all.slice(restarted).some((l) => l.event === 'websocket.open' && l.worker === 1)).toBe(true);
  }, 120_000);
  it('stops on SIGTERM: every worker closes its clients with 1001 (going away), then the process exits 0', async () => {
    const open = clients.filter((c) => c.ws.readyState === c.ws.OPEN);
    expect(open.length).toBeGreaterThan(0);
    expect(await proc.stop(30_000)).toEqual({ code: 0, signal: null });
    for (const c of open) expect((await c.closed).code).toBe(1001);
    expect(
      lines()
        .filter((l) => l.msg === 'stopping')
        .map((l) => l.worker)
        .sort(),
    ).toEqual([0, 1, 2]);
  }, 60_000);
});

describe('gateway with GATEWAY_WORKERS=2 (Kafka, PostgreSQL)', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('gateway-workers');
    await startWorkers({
      BUS: 'kafka',
      KAFKA_BROKERS: kafkaBrokers(),
      KAFKA_TOPIC_PREFIX: uniqueTopicPrefix('gateway-workers'),
      DATABASE_URL: db.url,
    });
    // Each worker consumes in its own group from the end of each topic: publish once both are positioned.
    await waitFor(() => lines().filter((l) => l.msg === 'consuming events').length >= 2, {
      timeoutMs: 60_000,
      what: 'both workers to consume their topics',
    });
    let healthy = 0;
    await waitFor(
      async () => {
        const health = JSON.parse((await get('/health')).body) as { components: Record<string, { status: string }> };
        healthy = health.components.event_consumer?.status === 'healthy' ? healthy + 1 : 0;
        return healthy >= 4;
      },
      { timeoutMs: 60_000, what: "both workers' event consumers to be healthy" },
    );
  }, 180_000);

  afterAll(async () => {
    await stopWorkers();
    await db?.drop();
  });

  it(
    'serves clients on both workers, and every client receives every published event exactly once, in order',
    everyClientGetsEveryEventOnce,
    120_000,
  );
});

describe('gateway with GATEWAY_WORKERS=1 (one process, as before workers)', () => {
  it('stops on SIGTERM by closing its clients with 1001 (going away) first, then exits 0', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'gateway-one-'));
    clients.length = 0;
    port = await freePort();
    proc = startProcess(
      process.execPath,
      ['gateway/dist/main.js'],
      { GATEWAY_WORKERS: '1', BUS: 'memory', PGLITE_DIR: dataDir, GATEWAY_PORT: String(port), PUBLISH_GRPC_PORT: '0', LOG_LEVEL: 'info' },
      { label: 'gateway-one-process' },
    );
    try {
      await waitFor(() => lines().some((l) => l.msg === 'ready'), {
        timeoutMs: 90_000,
        what: `the gateway to be ready (log: ${proc.logFile})`,
      });
      expect(lines().some((l) => 'worker' in l)).toBe(false);
      const open = [await subscribedClient(), await subscribedClient()];
      expect(await proc.stop(30_000)).toEqual({ code: 0, signal: null });
      for (const c of open) expect((await c.closed).code).toBe(1001);
    } finally {
      await proc.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
