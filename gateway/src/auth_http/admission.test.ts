import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createAuthenticator, mintToken, type ApiKeyRecord, type ApiKeyStore } from '../auth';
import { admit } from './admission';
import { RateLimiter } from '../rate_limit';

const SECRET = 'unit-test-secret-0123456789';
const LIVE_KEY = 'mpk_0123456789abcdefghijklmnopqrstuv';

/** A key store that counts its database look-ups and knows one live key. */
function countingStore(): ApiKeyStore & { lookups: number } {
  const record: ApiKeyRecord = {
    id: 'key_1',
    user_id: 'alice',
    name: 'k',
    prefix: LIVE_KEY.slice(0, 10),
    scopes: ['read'],
    channels: ['*'],
    created_at: '',
    last_used_at: null,
    expires_at: null,
    revoked_at: null,
  };
  const store = {
    lookups: 0,
    create: () => Promise.reject(new Error('unused')),
    list: () => Promise.resolve([]),
    revoke: () => Promise.resolve(false),
    verify: (k: string) => {
      store.lookups++;
      return Promise.resolve(k === LIVE_KEY ? record : undefined);
    },
    deadKeys: () => Promise.resolve([]),
    onRevoked: () => () => undefined,
  };
  return store;
}

const randomKey = () => `mpk_${randomBytes(24).toString('base64url')}`;

describe('admission: limits keyed on verified principals, before any database work', () => {
  it('stops a flood of 1,500 random API keys from one address at its budget, with no look-up past it', async () => {
    const store = countingStore();
    const authenticator = createAuthenticator({ jwtSecret: SECRET, defaultScopes: ['read'], apiKeys: store });
    const limiter = new RateLimiter({ perMinute: 600, burst: 100, now: () => 0 });
    let limited = 0;
    for (let i = 0; i < 1500; i++) {
      const { decision, principal } = await admit(randomKey(), '203.0.113.9', 1, authenticator, limiter);
      expect(principal).toBeNull();
      if (!decision.allowed) limited++;
    }
    expect(store.lookups).toBe(100);
    expect(limited).toBe(1400);
    // Another address still gets through, and so does a verified user behind the flooded one.
    expect((await admit(randomKey(), '198.51.100.7', 1, authenticator, limiter)).decision.allowed).toBe(true);
    const token = await mintToken({ secret: SECRET, subject: 'bob', ttlSeconds: 60 });
    expect(await admit(token, '203.0.113.9', 1, authenticator, limiter)).toMatchObject({
      principal: { userId: 'bob' },
      decision: { allowed: true },
    });
  });

  it('charges a verified user whatever credential it presents, so varying the credential gains nothing', async () => {
    const authenticator = createAuthenticator({ jwtSecret: SECRET, defaultScopes: ['read'] });
    const limiter = new RateLimiter({ perMinute: 60, burst: 3, now: () => 0 });
    const outcomes = [];
    for (let i = 0; i < 5; i++) {
      // A fresh token each time: different credentials, one principal.
      const token = await mintToken({ secret: SECRET, subject: 'carol', ttlSeconds: 60 + i });
      outcomes.push((await admit(token, `192.0.2.${i}`, 1, authenticator, limiter)).decision.allowed);
    }
    expect(outcomes).toEqual([true, true, true, false, false]);
  });

  it('refuses a repeated unknown key from memory: one look-up however often it comes', async () => {
    const store = countingStore();
    const authenticator = createAuthenticator({ defaultScopes: ['read'], apiKeys: store });
    const limiter = new RateLimiter({ perMinute: 60_000, burst: 10_000, now: () => 0 });
    const bad = randomKey();
    for (let i = 0; i < 500; i++) expect((await admit(bad, '127.0.0.1', 1, authenticator, limiter)).authError).toMatch(/unknown/);
    expect(store.lookups).toBe(1);
    expect((await admit(LIVE_KEY, '127.0.0.1', 1, authenticator, limiter)).principal).toMatchObject({ userId: 'alice' });
  });
});
