import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { events, realtime } from '@marketpulse/proto';
import { createLogger, decodeStatus, STATUS_DETAILS_KEY } from '@marketpulse/runtime';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { mintToken } from '../auth';
import { loadGatewayConfig } from '../config';
import { startGateway, type GatewayHandle } from '../service';

// Owned events through the publish API (REST and gRPC) on an in-process gateway (in-memory bus):
// an event published with an owner reaches that user's WebSocket clients (live and on resume) and
// nobody else's; naming another user needs publish:any-owner; a bad owner is a 400 naming the field.
// tests/e2e/publish-owner.test.ts runs the same on Kafka with webhooks and tRPC.

const SECRET = 'owned-publish-test-secret-0123456789';
const logger = createLogger('owned-publish-test', {}, { level: 'silent' });

type Msg = Record<string, any>;
type Sent = { id: string; owner: string };

const token = (subject: string, scopes?: string[]) =>
  mintToken({ secret: SECRET, subject, ttlSeconds: 600, ...(scopes ? { scopes } : {}) });

class Client {
  readonly messages: Msg[] = [];
  constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => this.messages.push(JSON.parse(String(d)) as Msg));
    ws.on('error', () => undefined);
  }
  ids(): string[] {
    return this.messages.filter((m) => typeof m.id === 'string' && m.type !== 'connection_established').map((m) => m.id as string);
  }
}

let gw: GatewayHandle;
let dir: string;
let rest: string;
let engine: string; // publish + publish:any-owner
let narrow: string; // publish only, as user 'narrow-engine'
let alice: string;
let bob: string;
const sockets: WebSocket[] = [];
let grpcClient: realtime.PublishServiceClient;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'owned-publish-'));
  gw = await startGateway(
    loadGatewayConfig({
      BUS: 'memory',
      GATEWAY_PORT: '0',
      PUBLISH_GRPC_PORT: '0',
      LOG_LEVEL: 'silent',
      PGLITE_DIR: dir,
      JWT_SECRET: SECRET,
      WS_AUTH_REQUIRED: 'true',
      API_RATE_LIMIT_PER_MINUTE: '100000',
      API_RATE_LIMIT_BURST: '100000',
      KAFKA_TOPIC_PREFIX: `owned-publish.${Math.random()}.`,
    }),
    { logger },
  );
  await gw.consuming;
  rest = `http://127.0.0.1:${gw.port}`;
  [engine, narrow, alice, bob] = await Promise.all([
    token('engine', ['publish', 'publish:any-owner']),
    token('narrow-engine', ['publish']),
    token('alice'),
    token('bob'),
  ]);
  grpcClient = new realtime.PublishServiceClient(`127.0.0.1:${gw.publishPort}`, grpc.credentials.createInsecure());
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.terminate();
  grpcClient?.close();
  await gw?.close();
  await rm(dir, { recursive: true, force: true });
});

async function open(path: string, greeting = 'connection_established'): Promise<Client> {
  const ws = new WebSocket(`ws://127.0.0.1:${gw.port}${path}`);
  sockets.push(ws);
  const client = new Client(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('close', (code) => reject(new Error(`closed ${code} before opening`)));
  });
  await until(() => client.messages.some((m) => m.type === greeting), greeting);
  return client;
}

async function until<T>(fn: () => T | undefined | false | 0, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function post(path: string, credential: string, body: unknown): Promise<{ status: number; body: Msg }> {
  const res = await fetch(`${rest}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Msg };
}

type GrpcAnswer = { code: number; event?: events.Event; reason?: string; fields?: string[] };
function publishGrpc(credential: string, event: Partial<events.Event>): Promise<GrpcAnswer> {
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${credential}`);
  return new Promise((resolve) =>
    grpcClient.publish({ event: events.Event.fromPartial(event) }, md, { deadline: Date.now() + 10_000 }, (err, res) => {
      if (!err) return resolve({ code: grpc.status.OK, event: res!.event });
      const raw = err.metadata?.get(STATUS_DETAILS_KEY)[0];
      const details = raw instanceof Buffer ? decodeStatus(raw) : undefined;
      resolve({
        code: err.code ?? -1,
        reason: details?.errorInfo?.reason,
        fields: details?.violations.map((v) => v.field),
      });
    }),
  );
}

const namesOwner = (field: string) => field === 'owner' || field === 'event.owner';
const position = (id: string) => ({ position_id: id, symbol: 'BTC/USDT', status: 'open' });
const PAYLOADS = {
  position_update: { position_id: 'p1', symbol: 'BTC/USDT', status: 'open' },
  equity_update: { total_equity: '1000.00' },
  risk_status_update: { status: 'normal', message: 'ok' },
  system_error: { service: 'engine', code: 'E1', message: 'failed' },
  system_log: { level: 'INFO', message: 'hello' },
} as const;
type PublishType = keyof typeof PAYLOADS;

const grpcEvent = (type: PublishType, owner: string): Partial<events.Event> =>
  ({ type, owner, payload: { $case: type, [type]: PAYLOADS[type] } }) as Partial<events.Event>;

/** Publishes a system event and waits until each client has it: everything published before it has been fanned out. */
async function barrier(clients: Client[]): Promise<void> {
  const res = await post('/api/v1/publish', engine, { type: 'position_update', data: position('barrier') });
  expect(res.status).toBe(202);
  await Promise.all(clients.map((c) => until(() => c.ids().includes(res.body.id as string), 'the barrier event')));
}

describe('owned events through the publish API', () => {
  it('REST and gRPC: an event owned by alice reaches her /ws and /ws/stream clients, live and on resume, and none of bob’s', async () => {
    const aliceWs = await open(`/ws?token=${alice}`);
    const bobWs = await open(`/ws?token=${bob}`);
    const stream = await open(`/ws/stream?token=${bob}`, 'auth_success');
    stream.ws.send(JSON.stringify({ type: 'subscribe', data: { type: 'events' } }));
    await until(() => stream.messages.some((m) => m.type === 'subscribed'), "bob's native subscription");

    const first = await post('/api/v1/publish', engine, { type: 'position_update', data: position('first') });
    expect(first.status).toBe(202);
    expect(first.body.owner).toBe('');

    const overRest = await post('/api/v1/publish', engine, { type: 'position_update', owner: 'alice', data: position('alice-rest') });
    expect(overRest.status).toBe(202);
    expect(overRest.body).toMatchObject({ owner: 'alice', source: 'engine' });
    const overGrpc = await publishGrpc(engine, grpcEvent('equity_update', 'alice'));
    expect(overGrpc.code).toBe(grpc.status.OK);
    expect(overGrpc.event!.owner).toBe('alice');
    const owned = [overRest.body.id as string, overGrpc.event!.id];

    await barrier([aliceWs, bobWs]);
    await until(() => stream.messages.filter((m) => m.type === 'data').length >= 2, "the system events on bob's subscription");
    expect(aliceWs.ids()).toEqual(expect.arrayContaining(owned));
    expect(bobWs.ids().filter((id) => owned.includes(id))).toEqual([]);
    const streamed = stream.messages.filter((m) => m.type === 'data').map((m) => String(m.data?.event?.event_id ?? m.id));
    expect(streamed.filter((id) => owned.includes(id))).toEqual([]);
    expect(streamed).toContain(first.body.id);

    // Resume after `first`: alice gets hers back, bob only the system events.
    const aliceAgain = await open(`/ws?token=${alice}&since=${encodeURIComponent(first.body.id as string)}`);
    const bobAgain = await open(`/ws?token=${bob}&since=${encodeURIComponent(first.body.id as string)}`);
    await until(() => aliceAgain.ids().length >= 3, "alice's replay");
    await until(() => bobAgain.ids().length >= 1, "bob's replay");
    expect(aliceAgain.ids()).toEqual(expect.arrayContaining(owned));
    expect(bobAgain.ids().filter((id) => owned.includes(id))).toEqual([]);
  });

  it('a narrow credential (publish only) may own events to itself but never mint one owned by another user: 403 OWNER_FORBIDDEN', async () => {
    const aliceWs = await open(`/ws?token=${alice}`);
    const refused = await post('/api/v1/publish', narrow, { type: 'position_update', owner: 'alice', data: position('spoof') });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'OWNER_FORBIDDEN', details: { required_scope: 'publish:any-owner' } });
    expect(refused.body.error.message).toContain('publish:any-owner');

    // A batch with one foreign owner is refused whole, naming it.
    const batch = await post('/api/v1/publish/batch', narrow, {
      events: [
        { type: 'position_update', owner: 'narrow-engine', data: position('mine') },
        { type: 'position_update', owner: 'alice', data: position('spoof-2') },
      ],
    });
    expect(batch.status).toBe(403);
    expect(batch.body.error.code).toBe('OWNER_FORBIDDEN');
    expect(batch.body.error.details.fields).toEqual([{ field: 'events.1.owner', message: 'names another user' }]);

    const overGrpc = await publishGrpc(narrow, grpcEvent('risk_status_update', 'alice'));
    expect(overGrpc).toMatchObject({ code: grpc.status.PERMISSION_DENIED, reason: 'OWNER_FORBIDDEN', fields: ['owner'] });

    // Its own user id needs no more than publish.
    const mine = await post('/api/v1/publish', narrow, { type: 'position_update', owner: 'narrow-engine', data: position('own') });
    expect(mine.status).toBe(202);
    expect(mine.body.owner).toBe('narrow-engine');
    const mineOverGrpc = await publishGrpc(narrow, grpcEvent('equity_update', 'narrow-engine'));
    expect(mineOverGrpc.code).toBe(grpc.status.OK);

    // Nothing refused reached alice.
    await barrier([aliceWs]);
    expect(aliceWs.messages.filter((m) => m.data?.position_id === 'spoof' || m.data?.position_id === 'spoof-2')).toEqual([]);
  });

  it('default credentials hold no publish:any-owner and cannot delegate it', async () => {
    // A JWT without a scopes claim gets API_DEFAULT_SCOPES: no publish at all.
    const plain = await post('/api/v1/publish', alice, { type: 'position_update', owner: 'bob', data: position('x') });
    expect(plain.status).toBe(403);
    expect(plain.body.error).toMatchObject({ code: 'FORBIDDEN', details: { required_scope: 'publish' } });
    // Keys delegate only downward: a publisher without publish:any-owner cannot mint a key that has it.
    const keyMaker = await token('key-maker', ['publish', 'keys:write']);
    const key = await post('/api/v1/api-keys', keyMaker, { name: 'wide', scopes: ['publish', 'publish:any-owner'] });
    expect(key.status).toBe(403);
    expect(key.body.error.code).toBe('SCOPE_ESCALATION');
  }, 60_000);

  it('refuses an owner on system_log (a system event) and invalid owner values with 400 naming the field', async () => {
    const sys = await post('/api/v1/publish', engine, { type: 'system_log', owner: 'engine', data: PAYLOADS.system_log });
    expect(sys.status).toBe(400);
    expect(sys.body.error.code).toBe('INVALID_ARGUMENT');
    expect(sys.body.error.details.fields[0]).toMatchObject({ field: 'owner' });
    expect(sys.body.error.details.fields[0].message).toContain('system event');
    const sysGrpc = await publishGrpc(engine, grpcEvent('system_log', 'engine'));
    expect(sysGrpc).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, fields: ['owner'] });

    for (const owner of [
      '',
      42,
      null,
      true,
      ['alice'],
      { id: 'alice' },
      'x'.repeat(129),
      'a\u0000b',
      'a\nb',
      'tab\there',
      '\u007f',
      '\u0085',
      'lone\ud800',
    ]) {
      const res = await post('/api/v1/publish', engine, { type: 'position_update', owner, data: position('bad') });
      expect(res.status, JSON.stringify(owner)).toBe(400);
      expect(res.body.error.code, JSON.stringify(owner)).toBe('INVALID_ARGUMENT');
      expect(
        (res.body.error.details.fields as { field: string }[]).map((f) => f.field),
        JSON.stringify(owner),
      ).toContain('owner');
    }
    for (const owner of ['x'.repeat(129), 'a\u0000b', 'a\nb', '\u007f']) {
      const res = await publishGrpc(engine, grpcEvent('position_update', owner));
      // NUL is refused with the request's own field path (`event.owner`) before the contracts run.
      expect(res.code, JSON.stringify(owner)).toBe(grpc.status.INVALID_ARGUMENT);
      expect(res.fields?.some(namesOwner), JSON.stringify(owner)).toBe(true);
    }
  });

  it('random owner values on REST and gRPC: never a 5xx, refused or accepted as the rule says, never delivered to another user (fast-check, seeded)', async () => {
    const aliceWs = await open(`/ws?token=${alice}`);
    const bobWs = await open(`/ws?token=${bob}`);
    const accepted: Sent[] = [];
    const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
    const valid = (o: string) => o.length >= 1 && o.length <= 128 && !/\p{Cc}/u.test(o) && !loneSurrogate.test(o);
    const ownerText = fc.oneof(
      fc.constantFrom('alice', 'bob', 'engine', 'narrow-engine', '', ' alice', 'ALICE', 'alice\u0000', 'bob\n'),
      fc.string({ maxLength: 140, unit: 'binary' }),
      fc.string({ minLength: 120, maxLength: 135 }),
    );
    const ownerJson = fc.oneof(ownerText, fc.anything({ maxDepth: 2 }));
    const type = fc.constantFrom<PublishType>('position_update', 'equity_update', 'risk_status_update', 'system_error', 'system_log');
    const who = fc.constantFrom(['engine', 'any'] as const, ['narrow-engine', 'narrow'] as const);
    const expectedOutcome = (owner: unknown, t: PublishType, caller: string, any: boolean) => {
      if (owner === undefined) return 'accepted';
      if (typeof owner !== 'string' || !valid(owner) || t === 'system_log') return 'invalid';
      return owner === caller || any ? 'accepted' : 'forbidden';
    };

    await fc.assert(
      fc.asyncProperty(fc.option(ownerJson, { nil: undefined }), type, who, async (owner, t, [caller, kind]) => {
        const credential = kind === 'any' ? engine : narrow;
        const res = await post('/api/v1/publish', credential, { type: t, data: PAYLOADS[t], ...(owner === undefined ? {} : { owner }) });
        expect(res.status).toBeLessThan(500);
        const want = expectedOutcome(owner, t, caller, kind === 'any');
        expect({ 202: 'accepted', 400: 'invalid', 403: 'forbidden' }[res.status]).toBe(want);
        if (res.status === 400) expect((res.body.error.details.fields as { field: string }[]).map((f) => f.field)).toContain('owner');
        if (res.status === 202) accepted.push({ id: res.body.id as string, owner: res.body.owner as string });
      }),
      { seed: 0x0e11ed, numRuns: 80 },
    );
    await fc.assert(
      fc.asyncProperty(ownerText, type, who, async (owner, t, [caller, kind]) => {
        const credential = kind === 'any' ? engine : narrow;
        const res = await publishGrpc(credential, grpcEvent(t, owner));
        expect([grpc.status.OK, grpc.status.INVALID_ARGUMENT, grpc.status.PERMISSION_DENIED]).toContain(res.code);
        // proto3: an empty owner is no owner, a system event.
        const want = expectedOutcome(owner === '' ? undefined : owner, t, caller, kind === 'any');
        expect(
          { [grpc.status.OK]: 'accepted', [grpc.status.INVALID_ARGUMENT]: 'invalid', [grpc.status.PERMISSION_DENIED]: 'forbidden' }[
            res.code
          ],
        ).toBe(want);
        if (res.code === grpc.status.INVALID_ARGUMENT) expect(res.fields?.some(namesOwner)).toBe(true);
        if (res.event) accepted.push({ id: res.event.id, owner: res.event.owner });
      }),
      { seed: 0x0e11ee, numRuns: 80 },
    );

    await barrier([aliceWs, bobWs]);
    const ownerOf = new Map(accepted.map((a) => [a.id, a.owner]));
    for (const [name, client] of [
      ['alice', aliceWs],
      ['bob', bobWs],
    ] as const) {
      const got = client.ids().filter((id) => ownerOf.has(id));
      // Never another user's event...
      expect(got.filter((id) => ![name, ''].includes(ownerOf.get(id)!))).toEqual([]);
      // ...and every one that was theirs or everyone's.
      expect(new Set(got)).toEqual(new Set(accepted.filter((a) => a.owner === '' || a.owner === name).map((a) => a.id)));
    }
    expect(accepted.some((a) => a.owner === 'alice')).toBe(true);
  }, 120_000);
});
