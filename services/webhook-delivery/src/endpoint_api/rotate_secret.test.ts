import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { AppError, createLogger, PgliteDatabase } from '@marketpulse/runtime';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AddressGuard } from '../address_guard/address_guard';
import { HttpSender } from '../http_sending/sender_http';
import { DeliveryStore } from '../store/delivery_store';
import { EndpointStore } from '../store/endpoint_store';
import { migrations } from '../store/migrations';
import { AttemptRunner } from '../worker/attempt_runner';
import { WebhookApi } from './webhook_api';

// What a receiver sees across secret rotations: real PGlite, real HTTP on 127.0.0.1, and each
// delivery's signatures checked the way a Standard Webhooks receiver checks them. The clock is
// moved (Date only) so an hour's overlap ends without waiting for it.

const HOUR_S = 3600;
const logger = createLogger('webhook-rotate-test', {}, { level: 'silent' });
const LEGACY_OLD = `whsec_${randomBytes(24).toString('base64')}`;
const LEGACY_CURRENT = `whsec_${randomBytes(24).toString('base64')}`;
let legacyEnd: Date;
let dir: string;
let db: PgliteDatabase;
let api: WebhookApi;
const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
let receiver: http.Server;
let url = '';

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  // One database for the file (opening PGlite takes seconds). It starts at the schema before
  // migration 003 with a row as the code of then left it, half an hour into an overlap.
  dir = mkdtempSync(join(tmpdir(), 'webhook-rotate-'));
  db = await PgliteDatabase.open({ service: 'webhook_delivery', dataDir: dir });
  await db.migrate(migrations.slice(0, 2));
  legacyEnd = new Date(Date.now() + (HOUR_S / 2) * 1000);
  await db.query(
    `INSERT INTO endpoints (id, owner_id, url, event_types, secret, previous_secret, previous_secret_expires_at)
     VALUES ('wh_before_003', 'rot', $1, '{system_log}', $2, $3, $4)`,
    [url, LEGACY_CURRENT, LEGACY_OLD, legacyEnd],
  );
  await db.migrate(migrations);
  api = apiOn(db);
});

afterEach(() => vi.useRealTimers());

afterAll(async () => {
  receiver.closeAllConnections();
  receiver.close();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

function apiOn(db: PgliteDatabase): WebhookApi {
  const endpoints = new EndpointStore(db);
  const deliveries = new DeliveryStore(db);
  const guard = new AddressGuard({ allowLoopback: true, allowPrivate: false });
  const runner = new AttemptRunner({
    db,
    deliveries,
    endpoints,
    guard,
    sender: new HttpSender(),
    policy: { scheduleMs: [], jitter: 0, maxRetryAfterMs: 0 },
    settings: { workerId: 'test', timeoutMs: 5000, maxResponseBytes: 1024, disableAfterMs: 3_600_000, maxRateQueueMs: 3_600_000 },
    hooks: {},
    logger,
  });
  return new WebhookApi({
    endpoints,
    deliveries,
    guard,
    runner,
    leaseMs: 10_000,
    defaultSecretOverlapS: HOUR_S,
    maxEndpointsPerUser: 10,
    onNewDeliveries: () => undefined,
  });
}

const fields = {
  url: '',
  events: ['system_log'],
  subjects: [],
  active: true,
  description: '',
  headers: {},
  rate_limit_per_second: 0,
};

/** Written from the specification, not from the service's signer: `v1,` + base64 HMAC-SHA256 of "id.timestamp.body". */
function verifies(secret: string, got: { headers: http.IncomingHttpHeaders; body: string }): boolean {
  const key = secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'latin1');
  const signed = `${String(got.headers['webhook-id'])}.${String(got.headers['webhook-timestamp'])}.${got.body}`;
  const expected = `v1,${createHmac('sha256', key).update(signed).digest('base64')}`;
  return signatures(got).includes(expected);
}

const signatures = (got: { headers: http.IncomingHttpHeaders }) => String(got.headers['webhook-signature']).split(' ');

/** One test delivery sent now (on the moved clock); what the receiver got. */
async function deliver(endpointId: string) {
  const d = await api.sendTestEvent('rot', endpointId, '');
  expect(d.status).toBe('delivered');
  return received[received.length - 1];
}

/** Which of `secrets` a receiver holding it would accept this delivery with. */
const acceptedBy = (got: { headers: http.IncomingHttpHeaders; body: string }, secrets: Record<string, string>) =>
  Object.fromEntries(Object.entries(secrets).map(([name, s]) => [name, verifies(s, got)]));

const at = (t0: number, seconds: number) => vi.setSystemTime(t0 + seconds * 1000);

describe('RotateSecret', () => {
  it('two rotates at once: the next deliveries verify with the original secret and both new ones until their overlap ends, then with the current one only', async () => {
    const ep = await api.createEndpoint('rot', { ...fields, url }, '');
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const [a, b] = await Promise.all([api.rotateSecret('rot', ep.id, HOUR_S, ''), api.rotateSecret('rot', ep.id, HOUR_S, '')]);
    // Each answer promised that the secret it replaced signs for the hour.
    expect(a.previous_secret_expires_at?.getTime()).toBe(t0 + HOUR_S * 1000);
    expect(b.previous_secret_expires_at?.getTime()).toBe(t0 + HOUR_S * 1000);
    const secrets = { original: ep.secret, a: a.secret, b: b.secret };

    at(t0, 1);
    expect(acceptedBy(await deliver(ep.id), secrets)).toEqual({ original: true, a: true, b: true });
    at(t0, HOUR_S - 1);
    expect(acceptedBy(await deliver(ep.id), secrets)).toEqual({ original: true, a: true, b: true });
    at(t0, HOUR_S + 1);
    const after = await deliver(ep.id);
    const current = (await api.getEndpoint('rot', ep.id)).secret;
    expect(acceptedBy(after, secrets)).toEqual({ original: false, a: current === a.secret, b: current === b.secret });
    expect(signatures(after)).toHaveLength(1);
  });

  it('two rotates 10 s apart: each rotated-out secret signs until its own end, then only the current one', async () => {
    const ep = await api.createEndpoint('rot', { ...fields, url }, '');
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const a = await api.rotateSecret('rot', ep.id, HOUR_S, '');
    at(t0, 10);
    const b = await api.rotateSecret('rot', ep.id, HOUR_S, '');
    expect(a.previous_secret_expires_at?.getTime()).toBe(t0 + HOUR_S * 1000);
    expect(b.previous_secret_expires_at?.getTime()).toBe(t0 + (HOUR_S + 10) * 1000);
    const secrets = { original: ep.secret, a: a.secret, b: b.secret };

    at(t0, 11);
    expect(acceptedBy(await deliver(ep.id), secrets)).toEqual({ original: true, a: true, b: true });
    at(t0, HOUR_S - 1);
    expect(acceptedBy(await deliver(ep.id), secrets)).toEqual({ original: true, a: true, b: true });
    at(t0, HOUR_S + 1);
    expect(acceptedBy(await deliver(ep.id), secrets)).toEqual({ original: false, a: true, b: true });
    at(t0, HOUR_S + 11);
    const last = await deliver(ep.id);
    expect(acceptedBy(last, secrets)).toEqual({ original: false, a: false, b: true });
    expect(signatures(last)).toHaveLength(1);
  });

  it('a rotate retried with the same supplied secret changes nothing: the original keeps signing, the new one signs once', async () => {
    const ep = await api.createEndpoint('rot', { ...fields, url }, '');
    const supplied = `whsec_${randomBytes(24).toString('base64')}`;
    const first = await api.rotateSecret('rot', ep.id, HOUR_S, supplied);
    const retried = await api.rotateSecret('rot', ep.id, HOUR_S, supplied);
    expect(retried.previous_secret_expires_at).toEqual(first.previous_secret_expires_at);
    const got = await deliver(ep.id);
    expect(acceptedBy(got, { original: ep.secret, supplied })).toEqual({ original: true, supplied: true });
    expect(signatures(got)).toHaveLength(2);
  });

  it('refuses a rotate past 5 secrets in their overlap with FAILED_PRECONDITION naming when the oldest ends, losing none; takes it once that one ended', async () => {
    const ep = await api.createEndpoint('rot', { ...fields, url }, '');
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const secrets: Record<string, string> = { s0: ep.secret };
    for (let i = 1; i <= 5; i++) {
      at(t0, i - 1);
      secrets[`s${i}`] = (await api.rotateSecret('rot', ep.id, HOUR_S, '')).secret;
    }
    at(t0, 5);
    const refusal = await api.rotateSecret('rot', ep.id, HOUR_S, '').catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(AppError);
    const oldestEnd = new Date(t0 + HOUR_S * 1000).toISOString();
    expect(refusal).toMatchObject({
      status: grpc.status.FAILED_PRECONDITION,
      reason: 'TOO_MANY_SECRETS',
      metadata: { max_secrets: '5', oldest_expires_at: oldestEnd },
    });
    expect((refusal as AppError).message).toContain(`the oldest stops signing at ${oldestEnd}`);
    const all = Object.fromEntries(Object.keys(secrets).map((k) => [k, true]));
    expect(acceptedBy(await deliver(ep.id), secrets)).toEqual(all);

    at(t0, HOUR_S + 0.5);
    secrets.s6 = (await api.rotateSecret('rot', ep.id, HOUR_S, '')).secret;
    const got = await deliver(ep.id);
    expect(acceptedBy(got, secrets)).toEqual({ ...all, s0: false, s6: true });
    expect(signatures(got)).toHaveLength(6);
  });

  it('keeps signing with a previous secret stored before migration 003 until its end, and through a further rotate', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const next = (await api.rotateSecret('rot', 'wh_before_003', HOUR_S, '')).secret;
    const secrets = { old: LEGACY_OLD, current: LEGACY_CURRENT, next };
    expect(acceptedBy(await deliver('wh_before_003'), secrets)).toEqual({ old: true, current: true, next: true });
    vi.setSystemTime(legacyEnd.getTime() + 1000);
    expect(acceptedBy(await deliver('wh_before_003'), secrets)).toEqual({ old: false, current: true, next: true });
    at(t0, HOUR_S + 1);
    expect(acceptedBy(await deliver('wh_before_003'), secrets)).toEqual({ old: false, current: false, next: true });
  });
});
