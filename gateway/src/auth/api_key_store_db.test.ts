import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '@marketpulse/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbApiKeyStore } from './api_key_store_db';

// On embedded PGlite; the e2e suites run the same store on PostgreSQL.
describe('DbApiKeyStore revocation', () => {
  let dir: string;
  let db: Database;
  let store: DbApiKeyStore;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mp-api-keys-'));
    db = await openDatabase({ service: 'gateway-keys-test', dataDir: dir });
    store = await DbApiKeyStore.open(db);
  }, 60_000);

  afterAll(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
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
