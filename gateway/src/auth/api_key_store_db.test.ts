import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { openDatabase, type Database } from '@marketpulse/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbApiKeyStore } from './api_key_store_db';

// On embedded PGlite, one database for the file (opening it is the slow part); the e2e suites run
// the same store on PostgreSQL (tests/e2e/api-keys-limit.test.ts the cap).
let dir: string;
let db: Database;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mp-api-keys-'));
  db = await openDatabase({ service: 'gateway-keys-test', dataDir: dir });
}, 120_000);

afterAll(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('DbApiKeyStore revocation', () => {
  let store: DbApiKeyStore;

  beforeAll(async () => {
    store = await DbApiKeyStore.open(db);
  });

  it('tells listeners of each key revoked through it, once, and not of refused revocations', async () => {
    const { record } = await store.create({ userId: 'alice', name: 'k', scopes: ['read'], channels: ['*'] });
    const heard: string[] = [];
    const stop = store.onRevoked((id) => heard.push(id));
    expect(await store.revoke('mallory', record.id)).toBe(false);
    expect(await store.revoke('alice', record.id)).toBe(true);
    expect(await store.revoke('alice', record.id)).toBe(false);
    expect(heard).toEqual([record.id]);
    stop();
    const other = await store.create({ userId: 'alice', name: 'k2', scopes: ['read'], channels: ['*'] });
    await store.revoke('alice', other.record.id);
    expect(heard).toEqual([record.id]);
  });

  it('names, among the ids asked about, the revoked, expired and unknown ones', async () => {
    const live = await store.create({ userId: 'bob', name: 'live', scopes: ['read'], channels: ['*'] });
    const later = await store.create({
      userId: 'bob',
      name: 'later',
      scopes: ['read'],
      channels: ['*'],
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    const revoked = await store.create({ userId: 'bob', name: 'revoked', scopes: ['read'], channels: ['*'] });
    const expired = await store.create({
      userId: 'bob',
      name: 'expired',
      scopes: ['read'],
      channels: ['*'],
      expiresAt: new Date(Date.now() - 1000),
    });
    await store.revoke('bob', revoked.record.id);
    const ids = [live.record.id, later.record.id, revoked.record.id, expired.record.id, 'key_unknown'];
    expect(await store.deadKeys(ids)).toEqual([revoked.record.id, expired.record.id, 'key_unknown']);
    expect(await store.deadKeys([])).toEqual([]);
  });
});

describe('DbApiKeyStore limits', () => {
  const MAX = 5;
  let store: DbApiKeyStore;
  const create = (userId: string, expiresAt?: Date) =>
    store.create({ userId, name: 'k', scopes: ['read'], channels: ['*'], ...(expiresAt ? { expiresAt } : {}) });

  beforeAll(async () => {
    store = await DbApiKeyStore.open(db, { maxPerUser: MAX });
  });

  it('creates at most API_KEYS_MAX_PER_USER live keys of 8 asked for at once, with room again after a revoke', async () => {
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => create('carol')));
    const made = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.record.id] : []));
    expect(made).toHaveLength(MAX);
    for (const r of results) {
      if (r.status === 'rejected')
        expect(r.reason).toMatchObject({
          status: GrpcStatus.RESOURCE_EXHAUSTED,
          reason: 'TOO_MANY_API_KEYS',
          metadata: { max_api_keys: String(MAX) },
        });
    }
    expect((await store.list('carol')).filter((k) => k.revoked_at === null)).toHaveLength(MAX);
    // Another user's keys are their own count.
    await expect(create('dave')).resolves.toMatchObject({ record: { user_id: 'dave' } });
    expect(await store.revoke('carol', made[0]!)).toBe(true);
    await expect(create('carol')).resolves.toMatchObject({ record: { user_id: 'carol' } });
    await expect(create('carol')).rejects.toMatchObject({ reason: 'TOO_MANY_API_KEYS' });
  });

  it('does not count expired keys', async () => {
    await create('erin', new Date(Date.now() - 1000));
    for (let i = 0; i < MAX; i++) await create('erin');
    await expect(create('erin')).rejects.toMatchObject({ reason: 'TOO_MANY_API_KEYS' });
  });

  it('lists every live key and only the newest API_KEYS_MAX_PER_USER revoked ones', async () => {
    const revoked: string[] = [];
    for (let i = 0; i < MAX + 3; i++) {
      const { record } = await create('frank');
      await store.revoke('frank', record.id);
      revoked.push(record.id);
    }
    const live = await create('frank');
    const listed = await store.list('frank');
    expect(listed).toHaveLength(MAX + 1);
    expect(listed[0]!.id).toBe(live.record.id);
    expect(new Set(listed.slice(1).map((k) => k.id))).toEqual(new Set(revoked.slice(-MAX)));
  });
});
