import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, PgliteDatabase, type Logger } from '@marketpulse/runtime';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AddressGuard } from '../address_guard/address_guard';
import { REPLAY_MAX, WebhookApi } from '../endpoint_api/webhook_api';
import type { EndpointFields } from '../endpoint_api/endpoint_input';
import { HttpSender } from '../http_sending/sender_http';
import { DeliveryStore } from '../store/delivery_store';
import { EndpointStore } from '../store/endpoint_store';
import { migrations } from '../store/migrations';
import { AttemptRecorder } from './attempt_recorder';
import { AttemptRunner } from './attempt_runner';
import { DeliveryWorker } from './delivery_worker';
import { STARTING_ALLOWANCE } from './in_flight_allowance';

// The delivery path end to end on embedded PostgreSQL and a real HTTP receiver on 127.0.0.1.

interface Received {
  id: string;
  at: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

let dir: string;
let db: PgliteDatabase;
let receiver: http.Server;
let base = '';
const received: Received[] = [];
/** Status codes to answer per path, consumed in order; 200 once exhausted. */
const script = new Map<string, number[]>();
const disabled: string[] = [];
const hung: http.ServerResponse[] = [];
/** Requests to `/slow` waiting for their answer now, and the most at once. */
const slowPeak = { now: 0, value: 0 };
/** A claim by hand, with nothing else in flight and no endpoint held back. */
const NO_CAP = { starting: 100, busy: new Map(), perOwner: 100, owners: new Map() };
const logger = createLogger('webhook-delivery-test', {}, { level: 'silent' });
let worker: DeliveryWorker;
let api: WebhookApi;
let deliveries: DeliveryStore;
let runner: AttemptRunner;

interface BuildOptions {
  disableAfterMs?: number;
  maxRateQueueMs?: number;
  timeoutMs?: number;
  /** Off unless a test asks: the tests of the per-endpoint and per-user caps need hung attempts to hold their workers. */
  slowAttemptMs?: number;
  maxWaitingAttempts?: number;
  workerLogger?: Logger;
}

function build({
  disableAfterMs = 3_600_000,
  maxRateQueueMs = 3_600_000,
  timeoutMs = 2000,
  slowAttemptMs = 60_000,
  maxWaitingAttempts = 4,
  workerLogger = logger,
}: BuildOptions = {}) {
  const endpoints = new EndpointStore(db);
  deliveries = new DeliveryStore(db);
  const guard = new AddressGuard({ allowLoopback: true, allowPrivate: false });
  runner = new AttemptRunner({
    db,
    deliveries,
    endpoints,
    guard,
    sender: new HttpSender(),
    policy: { scheduleMs: [200, 500], jitter: 0, maxRetryAfterMs: 5000 },
    settings: { workerId: 'test', timeoutMs, maxResponseBytes: 1024, disableAfterMs, maxRateQueueMs },
    hooks: { onEndpointDisabled: (id) => disabled.push(id) },
    logger,
  });
  worker = new DeliveryWorker(
    deliveries,
    runner,
    { concurrency: 8, slowAttemptMs, maxWaitingAttempts, perEndpoint: 4, perOwner: 4, leaseMs: 5000, pollMs: 50 },
    workerLogger,
  );
  api = new WebhookApi({
    endpoints,
    deliveries,
    guard,
    runner,
    leaseMs: 5000,
    defaultSecretOverlapS: 60,
    maxEndpointsPerUser: 3,
    onNewDeliveries: () => worker.wake(),
  });
  worker.start();
}

const fields = (path: string, extra: Partial<EndpointFields> = {}): EndpointFields => ({
  url: `${base}${path}`,
  events: ['prediction_complete'],
  subjects: [],
  active: true,
  description: '',
  headers: {},
  rate_limit_per_second: 0,
  ...extra,
});

/** Intake's write for one event: how many deliveries it queued. */
const insert = async (e: ReturnType<typeof event>) => (await deliveries.insertForEvents([e], 100_000)).get(e.id) ?? 0;

const event = (id: string, type = 'prediction_complete', subject = 'AAPL', owner = '') => ({
  id,
  type,
  subject,
  owner,
  body: JSON.stringify({ id, type, data: {} }),
});

async function until<T>(fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'webhook-flow-'));
  db = await PgliteDatabase.open({ service: 'webhook_delivery', dataDir: dir });
  await db.migrate(migrations);
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ id: String(req.headers['webhook-id']), at: Date.now(), headers: req.headers, body });
      // An endpoint that never answers: its requests wait here until the test lets them go.
      if (path === '/hang') return void hung.push(res);
      if (path === '/slow') {
        slowPeak.value = Math.max(slowPeak.value, ++slowPeak.now);
        return void setTimeout(() => {
          slowPeak.now -= 1;
          res.writeHead(200).end('ok');
        }, 100);
      }
      const next = script.get(path)?.shift() ?? 200;
      // What a careless receiver answers: NUL, a byte that is no UTF-8.
      if (path === '/nul') res.writeHead(next).end(Buffer.from('ok\u0000\xff done', 'latin1'));
      else res.writeHead(next).end(next >= 400 ? 'nope' : 'ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});

beforeEach(async () => {
  await worker?.close();
  await db.query('DELETE FROM endpoints');
  received.length = 0;
  slowPeak.now = slowPeak.value = 0;
  build();
});

afterAll(async () => {
  await worker.close();
  receiver.closeAllConnections();
  receiver.close();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('delivery flow', () => {
  it('retries on the schedule: two failures, then exactly one success', async () => {
    const ep = await api.createEndpoint('alice', fields('/flaky'), '');
    script.set('/flaky', [500, 503]);
    expect(await insert(event('evt_flaky'))).toBe(1);
    worker.wake();
    const [d] = await until(async () => {
      const list = await api.listDeliveries('alice', ep.id, {});
      return list[0]?.status === 'delivered' ? list : undefined;
    });
    expect(d.attempts_made.map((a) => [a.attempt, a.status_code, a.succeeded, a.trigger])).toEqual([
      [1, 500, false, 'scheduled'],
      [2, 503, false, 'scheduled'],
      [3, 200, true, 'scheduled'],
    ]);
    const times = received.filter((r) => r.id === 'evt_flaky').map((r) => r.at);
    expect(times).toHaveLength(3);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(190);
    expect(times[2] - times[1]).toBeGreaterThanOrEqual(490);
  });

  it('writes one delivery per event and endpoint, however often the event arrives, and honours filters', async () => {
    const all = await api.createEndpoint('bob', fields('/all', { events: ['*'] }), '');
    const msft = await api.createEndpoint('bob', fields('/msft', { subjects: ['MSFT'] }), '');
    expect(await insert(event('evt_dup'))).toBe(1);
    expect(await insert(event('evt_dup'))).toBe(0);
    expect(await insert(event('evt_msft', 'prediction_complete', 'MSFT'))).toBe(2);
    expect(await insert(event('evt_tick', 'market_data_update', 'MSFT'))).toBe(1);
    // A batch holding an event twice, one already written and a new one.
    const batch = [event('evt_new'), event('evt_new'), event('evt_dup'), event('evt_big', 'prediction_complete', 'MSFT')];
    batch[3].body = 'x'.repeat(200);
    expect(Object.fromEntries(await deliveries.insertForEvents(batch, 100))).toEqual({ evt_new: 1, evt_big: 2 });
    const big = (await api.listDeliveries('bob', msft.id, {})).find((d) => d.event_id === 'evt_big');
    expect(big).toMatchObject({ status: 'failed' });
    expect((await api.listDeliveries('bob', all.id, {})).map((d) => d.event_id).sort()).toEqual([
      'evt_big',
      'evt_dup',
      'evt_msft',
      'evt_new',
      'evt_tick',
    ]);
    expect((await api.listDeliveries('bob', msft.id, {})).map((d) => d.event_id).sort()).toEqual(['evt_big', 'evt_msft']);
  });

  it("gives an owned event to its owner's endpoints only, and a system event to every subscribed endpoint", async () => {
    const alices = await api.createEndpoint('alice', fields('/alice-alerts', { events: ['alert_triggered'] }), '');
    const carols = await api.createEndpoint('carol', fields('/carol-alerts', { events: ['alert_triggered'] }), '');
    expect(await insert(event('evt_alice_private', 'alert_triggered', 'AAPL', 'alice'))).toBe(1);
    expect(await insert(event('evt_system_alert', 'alert_triggered', 'AAPL'))).toBeGreaterThanOrEqual(2);
    expect((await api.listDeliveries('alice', alices.id, {})).map((d) => d.event_id).sort()).toEqual([
      'evt_alice_private',
      'evt_system_alert',
    ]);
    expect((await api.listDeliveries('carol', carols.id, {})).map((d) => d.event_id)).toEqual(['evt_system_alert']);
  });

  it('ends failed after the last attempt, and a replay then delivers it as a manual attempt', async () => {
    const ep = await api.createEndpoint('carol', fields('/down'), '');
    script.set('/down', [500, 500, 500]);
    await insert(event('evt_down'));
    worker.wake();
    const [failed] = await until(async () => {
      const list = await api.listDeliveries('carol', ep.id, { status: 'failed' });
      return list.length > 0 ? list : undefined;
    });
    expect(failed.attempts_made).toHaveLength(3);
    const replayed = await api.replayDelivery('carol', failed.id);
    expect(replayed.status).toBe('delivered');
    expect(replayed.attempts_made.at(-1)).toMatchObject({ attempt: 4, trigger: 'manual', succeeded: true });
    expect(received.filter((r) => r.id === 'evt_down')).toHaveLength(4);
  });

  it('disables the endpoint on 410 Gone and cancels what was still queued for it', async () => {
    const ep = await api.createEndpoint('dave', fields('/gone'), '');
    script.set('/gone', [410]);
    await insert(event('evt_gone_1'));
    worker.wake();
    await until(() => disabled.includes(ep.id));
    const after = await api.getEndpoint('dave', ep.id);
    expect(after.active).toBe(false);
    expect(after.disabled_reason).toMatch(/410/);
    expect(await insert(event('evt_gone_2'))).toBe(0);
  });

  it('disables an endpoint that failed every attempt for the configured period', async () => {
    await worker.close();
    build({ disableAfterMs: 300 });
    const ep = await api.createEndpoint('erin', fields('/broken'), '');
    script.set('/broken', Array(20).fill(500));
    await insert(event('evt_broken_1'));
    worker.wake();
    await until(() => disabled.includes(ep.id), 4000);
    expect((await api.getEndpoint('erin', ep.id)).disabled_reason).toMatch(/every attempt failed/);
  });

  it('keeps users apart and refuses private addresses', async () => {
    const ep = await api.createEndpoint('frank', fields('/mine'), '');
    await expect(api.getEndpoint('mallory', ep.id)).rejects.toMatchObject({ reason: 'NOT_FOUND' });
    await expect(api.updateEndpoint('mallory', ep.id, { url: `${base}/stolen` })).rejects.toMatchObject({ reason: 'NOT_FOUND' });
    await expect(api.sendTestEvent('mallory', ep.id, '')).rejects.toMatchObject({ reason: 'NOT_FOUND' });
    await expect(api.deleteEndpoint('mallory', ep.id)).rejects.toMatchObject({ reason: 'NOT_FOUND' });
    expect((await api.listEndpoints('mallory')).map((e) => e.id)).not.toContain(ep.id);
    await expect(api.createEndpoint('mallory', fields('/x', { url: 'http://10.0.0.5/hook' }), '')).rejects.toMatchObject({
      reason: 'URL_FORBIDDEN',
    });
    await expect(api.createEndpoint('mallory', fields('/x', { url: 'http://169.254.169.254/latest/meta-data' }), '')).rejects.toMatchObject(
      { reason: 'URL_FORBIDDEN' },
    );
  });

  it('sends a test event at once and records it as a manual attempt', async () => {
    const ep = await api.createEndpoint('gina', fields('/test'), '');
    const d = await api.sendTestEvent('gina', ep.id, '');
    expect(d).toMatchObject({ status: 'delivered', event_type: 'prediction_complete' });
    expect(d.attempts_made[0]).toMatchObject({ trigger: 'manual', status_code: 200 });
    const got = received.find((r) => r.id === d.event_id);
    expect(JSON.parse(got!.body).data).toHaveProperty('predicted_price');
  });

  it('spreads a rate-limited endpoint over time', async () => {
    await api.createEndpoint('hank', fields('/limited', { rate_limit_per_second: 5 }), '');
    for (let i = 0; i < 10; i++) await insert(event(`evt_rl_${i}`));
    worker.wake();
    await until(() => received.filter((r) => r.id.startsWith('evt_rl_')).length === 10 || undefined, 30_000);
    const times = received.filter((r) => r.id.startsWith('evt_rl_')).map((r) => r.at);
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(700);
  });

  it('lets a second worker take a claim only after its lease ran out', async () => {
    await worker.close();
    await api.createEndpoint('ivy', fields('/lease'), '');
    await insert(event('evt_lease'));
    // A lease far longer than two queries take even on a busy machine, then a wait past its end.
    const first = await deliveries.claimDue(10, 2000, 'token-a', NO_CAP);
    expect(first.map((c) => c.event_id)).toEqual(['evt_lease']);
    expect(await deliveries.claimDue(10, 2000, 'token-b', NO_CAP)).toEqual([]);
    await new Promise((r) => setTimeout(r, 2100));
    const second = await deliveries.claimDue(10, 2000, 'token-b', NO_CAP);
    expect(second.map((c) => c.event_id)).toEqual(['evt_lease']);
    const attempt = {
      worker_id: 'test',
      attempted_at: new Date(),
      status_code: 200,
      duration_ms: 1,
      response_excerpt: '',
      error: null,
      succeeded: true,
    };
    const record = (claim: (typeof first)[0]) => deliveries.recordAttempts(db, [{ claim, attempt, outcome: { status: 'delivered' } }]);
    expect(await record(first[0])).toEqual(new Set());
    expect(await record(second[0])).toEqual(new Set([second[0].id]));
    // The late worker's attempt is recorded all the same.
    expect((await api.listDeliveries('ivy', second[0].endpoint_id, {}))[0].attempts_made).toHaveLength(2);
  });

  it("records a receiver's answer whatever bytes it holds, NUL too: delivered once, not again after every lease", async () => {
    const ep = await api.createEndpoint('kim', fields('/nul'), '');
    script.set('/nul', [500]);
    expect(await insert(event('evt_nul'))).toBe(1);
    worker.wake();
    const [d] = await until(async () => {
      const list = await api.listDeliveries('kim', ep.id, {});
      return list[0]?.status === 'delivered' ? list : undefined;
    });
    expect(d.attempts_made.map((a) => [a.status_code, a.succeeded, a.response_excerpt])).toEqual([
      [500, false, 'ok\uFFFD\uFFFD done'],
      [200, true, 'ok\uFFFD\uFFFD done'],
    ]);
    expect(received.filter((r) => r.id === 'evt_nul')).toHaveLength(2);
  });

  it("fails only the attempt the database refuses, not the other users' attempts batched with it", async () => {
    await worker.close();
    const one = await api.createEndpoint('lea', fields('/lea'), '');
    const other = await api.createEndpoint('max', fields('/max'), '');
    await insert(event('evt_refused'));
    await insert(event('evt_fine'));
    const claims = await deliveries.claimDue(10, 5000, 'token-refused', NO_CAP);
    const mine = claims.filter((c) => c.endpoint_id === one.id);
    const theirs = claims.filter((c) => c.endpoint_id === other.id);
    expect([mine.length, theirs.length]).toEqual([2, 2]);
    const recorder = new AttemptRecorder({ db, deliveries, endpoints: new EndpointStore(db), disableAfterMs: 3_600_000 });
    // An excerpt PostgreSQL refuses (the sender no longer produces one, a future value might).
    const at = (response_excerpt: string) => ({
      worker_id: 'test',
      attempted_at: new Date(),
      status_code: 200,
      duration_ms: 1,
      response_excerpt,
      error: null,
      succeeded: true,
    });
    const results = await Promise.allSettled([
      recorder.record(mine[0], at('bad\u0000'), { status: 'delivered' }),
      recorder.record(mine[1], at('ok'), { status: 'delivered' }),
      ...theirs.map((c) => recorder.record(c, at('ok'), { status: 'delivered' })),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
    const statuses = async (userId: string, endpointId: string) =>
      (await api.listDeliveries(userId, endpointId, {})).map((d) => [d.event_id, d.status]).sort();
    expect(await statuses('max', other.id)).toEqual([
      ['evt_fine', 'delivered'],
      ['evt_refused', 'delivered'],
    ]);
    expect((await statuses('lea', one.id)).filter(([, s]) => s === 'delivered')).toHaveLength(1);
  });

  it("lets endpoints that never answer take at most their start of the workers: another user's delivery goes out meanwhile", async () => {
    const mallory = await api.createEndpoint('mallory', fields('/hang', { subjects: ['HANG'] }), '');
    const trent = await api.createEndpoint('trent', fields('/hang', { subjects: ['HANG2'] }), '');
    const bob = await api.createEndpoint('bob', fields('/bob', { subjects: ['BOB'] }), '');
    // Due first, and twice as many as there are workers: claimed in due order alone, one endpoint
    // took all 8; held to 4 each (the ceiling here), two of them still did until their timeouts.
    for (let i = 0; i < 16; i++) {
      await insert(event(`evt_hang_${i}`, 'prediction_complete', 'HANG'));
      await insert(event(`evt_hang2_${i}`, 'prediction_complete', 'HANG2'));
    }
    await insert(event('evt_bob', 'prediction_complete', 'BOB'));
    worker.wake();
    await until(() => received.some((r) => r.id === 'evt_bob'));
    // Received while every request to the hung endpoints is still waiting for its answer (2 s timeout).
    const recorded = async (user: string, endpointId: string) =>
      (await api.listDeliveries(user, endpointId, {})).flatMap((d) => d.attempts_made);
    expect(await recorded('mallory', mallory.id)).toEqual([]);
    expect(await recorded('trent', trent.id)).toEqual([]);
    expect(hung.length).toBe(2 * STARTING_ALLOWANCE);
    expect((await api.listDeliveries('bob', bob.id, {}))[0]).toMatchObject({ event_id: 'evt_bob' });
    for (const res of hung.splice(0)) res.writeHead(200).end();
  });

  it("holds one user's endpoints that never answer to WEBHOOK_MAX_IN_FLIGHT_PER_USER workers, however many endpoints they have", async () => {
    // Mallory's three hung endpoints would hold 6 of the 8 workers at their start, Trent's one the
    // other 2: before the per-user cap, Bob's delivery waited for their timeouts.
    const mallorys = await Promise.all(
      [0, 1, 2].map((i) => api.createEndpoint('mallory', fields('/hang', { subjects: [`HANG${i}`] }), '')),
    );
    await api.createEndpoint('trent', fields('/hang', { subjects: ['HANGT'] }), '');
    const bob = await api.createEndpoint('bob', fields('/bob', { subjects: ['BOB'] }), '');
    for (let i = 0; i < 8; i++) {
      for (const subject of ['HANG0', 'HANG1', 'HANG2', 'HANGT'])
        await insert(event(`evt_${subject}_${i}`, 'prediction_complete', subject));
    }
    await insert(event('evt_bob', 'prediction_complete', 'BOB'));
    worker.wake();
    await until(() => received.some((r) => r.id === 'evt_bob'));
    // Received while every hung request still waits (2 s timeout): Mallory's 4 and Trent's 2.
    for (const e of mallorys) expect((await api.listDeliveries('mallory', e.id, {})).flatMap((d) => d.attempts_made)).toEqual([]);
    const waiting = received.filter((r) => r.id.startsWith('evt_HANG') && !r.id.startsWith('evt_HANGT')).length;
    expect(waiting).toBe(4);
    expect(hung.length).toBe(4 + STARTING_ALLOWANCE);
    expect((await api.listDeliveries('bob', bob.id, {}))[0]).toMatchObject({ event_id: 'evt_bob' });
    for (const res of hung.splice(0)) res.writeHead(200).end();
  });

  it("lets slow attempts give their workers back: other users' hung endpoints holding every worker do not hold up a delivery until their timeouts", async () => {
    await worker.close();
    build({ timeoutMs: 4000, slowAttemptMs: 300, maxWaitingAttempts: 4 });
    // Two users, two hung endpoints each: 2 attempts per endpoint, 4 per user, all 8 workers.
    // Before, Bob's delivery waited the 4 s until their timeouts.
    const holders: Array<[string, string]> = [];
    for (const user of ['mallory', 'trent'])
      for (const i of [0, 1])
        holders.push([user, (await api.createEndpoint(user, fields('/hang', { subjects: [`H${user}${i}`] }), '')).id]);
    const bob = await api.createEndpoint('bob', fields('/bob', { subjects: ['BOB'] }), '');
    for (let i = 0; i < 4; i++)
      for (const user of ['mallory', 'trent'])
        for (const e of [0, 1]) await insert(event(`evt_h${user}${e}_${i}`, 'prediction_complete', `H${user}${e}`));
    worker.wake();
    await until(() => (hung.length >= 8 ? true : undefined));
    await insert(event('evt_bob', 'prediction_complete', 'BOB'));
    worker.wake();
    await until(() => received.some((r) => r.id === 'evt_bob'));
    // Received while every hung request still waits for its answer: none of them has ended.
    for (const [user, id] of holders) expect((await api.listDeliveries(user, id, {})).flatMap((d) => d.attempts_made)).toEqual([]);
    // A waiting attempt still counts for its endpoint and its user: the freed workers started no more of theirs.
    expect(hung.length).toBe(8);
    expect((await api.listDeliveries('bob', bob.id, {}))[0]).toMatchObject({ event_id: 'evt_bob', status: 'delivered' });
    for (const res of hung.splice(0)) res.writeHead(200).end();
  });

  it('keeps an endpoint that stopped answering at its start after a timeout, and lets one that answers slowly grow to the ceiling', async () => {
    const mallory = await api.createEndpoint('mallory', fields('/hang', { subjects: ['HANG'] }), '');
    const carol = await api.createEndpoint('carol', fields('/slow', { subjects: ['SLOW'] }), '');
    for (let i = 0; i < 12; i++) await insert(event(`evt_hang_${i}`, 'prediction_complete', 'HANG'));
    for (let i = 0; i < 40; i++) await insert(event(`evt_slow_${i}`, 'prediction_complete', 'SLOW'));
    worker.wake();
    // Carol answers each request after 100 ms; the most she had waiting at once is what she was allowed.
    await until(async () => (await api.listDeliveries('carol', carol.id, {})).every((d) => d.status === 'delivered') || undefined, 20_000);
    expect(slowPeak.value).toBe(4);
    // Mallory's first two timed out (2 s); her next two were claimed at the start again, not more.
    await until(
      async () => ((await api.listDeliveries('mallory', mallory.id, {})).some((d) => d.attempts_made.length > 0) ? true : undefined),
      10_000,
    );
    await until(() => (hung.length >= 4 ? true : undefined), 10_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(hung.length).toBe(4);
    for (const res of hung.splice(0)) res.writeHead(200).end();
  });

  it('logs an attempt that ends after its endpoint was deleted as info, not as an error to be retried', async () => {
    const lines: Array<{ level: string; msg: string }> = [];
    const capture = (level: string) => (_fields: unknown, msg?: string) => void lines.push({ level, msg: msg ?? '' });
    const captured = { ...logger, info: capture('info'), warn: capture('warn'), error: capture('error') } as unknown as Logger;
    await worker.close();
    build({ workerLogger: captured });
    const gone = await api.createEndpoint('mallory', fields('/hang', { subjects: ['GONE'] }), '');
    await insert(event('evt_gone', 'prediction_complete', 'GONE'));
    worker.wake();
    await until(() => (hung.length >= 1 ? true : undefined));
    await api.deleteEndpoint('mallory', gone.id);
    for (const res of hung.splice(0)) res.writeHead(200).end();
    await until(() => lines.find((l) => l.msg.includes('after its endpoint was deleted')));
    // Before: an ERROR with the database's foreign-key message and a stack, saying it would be retried.
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('refuses a user more than WEBHOOK_MAX_ENDPOINTS_PER_USER endpoints, also created at once, with room again after a delete', async () => {
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => api.createEndpoint('erin', fields(`/erin/${i}`), '')));
    const made = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.id] : []));
    expect(made).toHaveLength(3);
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toMatchObject({ reason: 'TOO_MANY_ENDPOINTS', metadata: { max_endpoints: '3' } });
    }
    await expect(api.createEndpoint('frank', fields('/frank'), '')).resolves.toMatchObject({ owner_id: 'frank' });
    await api.deleteEndpoint('erin', made[0]);
    await expect(api.createEndpoint('erin', fields('/erin/again'), '')).resolves.toMatchObject({ owner_id: 'erin' });
    await expect(api.createEndpoint('erin', fields('/erin/more'), '')).rejects.toMatchObject({ reason: 'TOO_MANY_ENDPOINTS' });
  });

  it("queues a rate-limited endpoint's due deliveries behind each other: another user's delivery is not held behind them", async () => {
    const slow = await api.createEndpoint('rita', fields('/limited', { subjects: ['LIM'], rate_limit_per_second: 1 }), '');
    await api.createEndpoint('bob', fields('/bob', { subjects: ['BOB'] }), '');
    // Due first: before, two at a time were claimed and put off a second, and the claim's window
    // never reached past them to Bob's.
    const backlog = Array.from({ length: 600 }, (_, i) => event(`evt_lim_${i}`, 'prediction_complete', 'LIM'));
    await deliveries.insertForEvents(backlog, 100_000);
    await insert(event('evt_bob', 'prediction_complete', 'BOB'));
    worker.wake();
    await until(() => received.some((r) => r.id === 'evt_bob'), 20_000);
    // One a second for Rita: Bob's came while she had had hardly more than the seconds elapsed.
    expect(received.filter((r) => r.id.startsWith('evt_lim_')).length).toBeLessThanOrEqual(5);
    const { rows } = await db.query<{ at: Date }>(
      `SELECT next_attempt_at AS at FROM deliveries WHERE endpoint_id = $1 AND status = 'pending' ORDER BY next_attempt_at`,
      [slow.id],
    );
    expect(rows.length).toBeGreaterThan(590);
    const gaps = rows.slice(1).map((r, i) => r.at.getTime() - rows[i]!.at.getTime());
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(999);
  });

  it('disables a rate-limited endpoint whose queue reaches past WEBHOOK_MAX_RATE_QUEUE_MS, and queues nothing more for it', async () => {
    await worker.close();
    build({ maxRateQueueMs: 10_000 });
    const slow = await api.createEndpoint('rita', fields('/limited', { subjects: ['LIM'], rate_limit_per_second: 1 }), '');
    // 30 at 1 a second reach 29 s ahead: before, they were queued however far that was.
    await deliveries.insertForEvents(
      Array.from({ length: 30 }, (_, i) => event(`evt_lim_${i}`, 'prediction_complete', 'LIM')),
      100_000,
    );
    worker.wake();
    await until(() => (disabled.includes(slow.id) ? true : undefined), 10_000);
    const [endpoint] = await api.listEndpoints('rita');
    expect(endpoint).toMatchObject({ active: false });
    expect(endpoint!.disabled_reason).toContain('queued more than 10 s ahead at rate_limit_per_second 1 (WEBHOOK_MAX_RATE_QUEUE_MS)');
    expect(await insert(event('evt_lim_more', 'prediction_complete', 'LIM'))).toBe(0);
    // What it had queued ends as it comes due, cancelled with a reason, not sent.
    await until(async () => ((await api.listDeliveries('rita', slow.id, { status: 'cancelled' })).length > 0 ? true : undefined), 10_000);
    expect(received.filter((r) => r.id.startsWith('evt_lim_')).length).toBeLessThanOrEqual(2);
  });

  it('replays at most REPLAY_MAX failed deliveries a call, oldest first; the next call takes the rest', async () => {
    const ep = await api.createEndpoint('walt', fields('/walt', { subjects: ['WALT'] }), '');
    await worker.close();
    const failed = Array.from({ length: REPLAY_MAX + 5 }, (_, i) =>
      event(`evt_walt_${String(i).padStart(5, '0')}`, 'prediction_complete', 'WALT'),
    );
    await deliveries.insertForEvents(failed, 100_000);
    await db.query(`UPDATE deliveries SET status = 'failed', next_attempt_at = NULL WHERE endpoint_id = $1`, [ep.id]);
    const since = new Date(Date.now() - 3_600_000);
    const until = new Date(Date.now() + 1000);
    const first = await api.replayFailed('walt', ep.id, since, until);
    expect(first).toHaveLength(REPLAY_MAX);
    const second = await api.replayFailed('walt', ep.id, since, until);
    expect(second).toHaveLength(5);
    expect(await api.replayFailed('walt', ep.id, since, until)).toEqual([]);
  });

  it('records attempts finishing together in one batch as if one by one: a 410 disables even when a success follows', async () => {
    await worker.close();
    const ep = await api.createEndpoint('jane', fields('/batch'), '');
    for (const id of ['evt_b1', 'evt_b2', 'evt_b3']) await insert(event(id));
    // RETURNING has no order: by event, as the attempts below are written.
    const claims = (await deliveries.claimDue(10, 5000, 'token-batch', NO_CAP)).sort((a, b) => a.event_id.localeCompare(b.event_id));
    const recorder = new AttemptRecorder({ db, deliveries, endpoints: new EndpointStore(db), disableAfterMs: 3_600_000 });
    const at = (status_code: number) => ({
      worker_id: 'test',
      attempted_at: new Date(),
      status_code,
      duration_ms: 1,
      response_excerpt: '',
      error: status_code === 200 ? null : 'no',
      succeeded: status_code === 200,
    });
    const results = await Promise.all([
      recorder.record(claims[0], at(500), { status: 'pending', retryInMs: 60_000 }),
      recorder.record(claims[1], at(410), { status: 'failed' }, 'the receiver answered 410 Gone'),
      recorder.record(claims[2], at(200), { status: 'delivered' }),
    ]);
    expect(results).toEqual([{ current: true }, { current: true, disabledBy: 'the receiver answered 410 Gone' }, { current: true }]);
    expect((await api.getEndpoint('jane', ep.id)).active).toBe(false);
    const byEvent = new Map((await api.listDeliveries('jane', ep.id, {})).map((d) => [d.event_id, d]));
    expect([...['evt_b1', 'evt_b2', 'evt_b3'].map((id) => byEvent.get(id)?.status)]).toEqual(['pending', 'failed', 'delivered']);
    expect([...byEvent.values()].every((d) => d.attempts_made.length === 1)).toBe(true);
  });
});
