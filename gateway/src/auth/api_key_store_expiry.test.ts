import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError, openDatabase, type Database } from '@marketpulse/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbApiKeyStore } from './api_key_store_db';

// Issue 13: an API key expiring in year 0020 used to be stored and then broke its owner's key list
// (PGlite reads the year back as a Date no one can print), for ever. On embedded PGlite, where it broke.
describe('DbApiKeyStore expiries', () => {
  let dir: string;
  let db: Database;
  let store: DbApiKeyStore;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mp-api-key-expiry-'));
    db = await openDatabase({ service: 'gateway-key-expiry-test', dataDir: dir });
    store = await DbApiKeyStore.open(db);
  }, 60_000);

  afterAll(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an expiry outside 1970–9999 with INVALID_ARGUMENT and stores nothing', async () => {
    for (const when of ['0020-01-01T00:00:00Z', '0001-01-01T00:00:00+01:00', '9999-12-31T23:59:59-14:00']) {
      const err = await store
        .create({ userId: 'ancient', name: 'k', scopes: ['read'], channels: ['*'], expiresAt: new Date(when) })
        .catch((e: unknown) => e);
      expect(err, when).toBeInstanceOf(AppError);
      expect((err as AppError).violations.map((v) => v.field)).toEqual(['expires_at']);
    }
    expect(await store.list('ancient')).toEqual([]);
  });

  it('lists, and lets its owner revoke, a key whose stored expiry cannot be read back', async () => {
    const { record } = await store.create({
      userId: 'legacy',
      name: 'old',
      scopes: ['read'],
      channels: ['*'],
      expiresAt: new Date(Date.now() + 86_400_000),
    });
    // A row written before expiries were checked.
    await db.query(`UPDATE api_keys SET expires_at = '0020-01-01T00:00:00Z' WHERE id = $1`, [record.id]);
    const listed = await store.list('legacy');
    expect(listed.map((k) => k.id)).toEqual([record.id]);
    expect(await store.revoke('legacy', record.id)).toBe(true);
  });
});
