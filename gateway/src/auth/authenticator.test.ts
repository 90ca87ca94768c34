import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiKeyRecord, ApiKeyStore } from './api_key_store';
import { AuthError } from './auth_error';
import { createAuthenticator } from './authenticator';
import { mintToken } from './mint_token';
import { canRead, type Scope } from './principal';
import { parseApiKeys } from './static_keys';

const SECRET = 'unit-test-secret-0123456789';

const DEFAULT_SCOPES: Scope[] = ['read', 'keys:write'];

/** One live key, as the database store would answer for it. */
function storeWith(key: string, record: Partial<ApiKeyRecord>): ApiKeyStore {
  const full: ApiKeyRecord = {
    id: 'key_1',
    user_id: 'alice',
    name: 'k',
    prefix: key.slice(0, 10),
    scopes: ['read'],
    channels: ['*'],
    created_at: '',
    last_used_at: null,
    expires_at: null,
    revoked_at: null,
    ...record,
  };
  return {
    create: () => Promise.reject(new Error('unused')),
    list: () => Promise.resolve([]),
    revoke: () => Promise.resolve(false),
    verify: (k) => Promise.resolve(k === key ? full : undefined),
    deadKeys: (ids) => Promise.resolve(ids.filter((id) => id !== full.id)),
    onRevoked: () => () => undefined,
  };
}

describe('createAuthenticator', () => {
  const auth = createAuthenticator({
    jwtSecret: SECRET,
    defaultScopes: DEFAULT_SCOPES,
    staticKeys: parseApiKeys('mpk_all,mpk_md=market-data:* alerts'),
  });

  it('accepts an HS256 token minted with the secret, its channels claim deciding what it reads', async () => {
    const claims = await auth.verify(await mintToken({ secret: SECRET, subject: 'u1', channels: ['market-data:*'], ttlSeconds: 60 }));
    expect(claims).toMatchObject({ userId: 'u1', method: 'jwt', scopes: DEFAULT_SCOPES });
    expect(claims.expiresAt).toBeGreaterThan(Date.now());
    expect(canRead(claims, 'market-data:AAPL')).toBe(true);
    expect(canRead(claims, 'alerts')).toBe(false);
    const everything = await auth.verify(await mintToken({ secret: SECRET, subject: 'u2', ttlSeconds: 60 }));
    expect(canRead(everything, 'portfolio')).toBe(true);
  });

  it('rejects a token signed with another secret, an expired one, and unknown API keys', async () => {
    await expect(
      auth.verify(await mintToken({ secret: 'another-secret-0123456789', subject: 'x', ttlSeconds: 60 })),
    ).rejects.toBeInstanceOf(AuthError);
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(SECRET));
    await expect(auth.verify(expired)).rejects.toThrow(/JWT rejected/);
    await expect(auth.verify('mpk_unknown')).rejects.toThrow('API key unknown, revoked or expired');
  });

  it('names the user of a configured API key by a digest: not the key, nor a prefix other keys share', async () => {
    const shared = createAuthenticator({
      defaultScopes: DEFAULT_SCOPES,
      staticKeys: parseApiKeys('sk_live_AAAAsecret,sk_live_BBBBsecret'),
    });
    const [a, b] = [await shared.verify('sk_live_AAAAsecret'), await shared.verify('sk_live_BBBBsecret')];
    expect(a.userId).toMatch(/^api_key:[0-9a-f]{16}$/);
    expect(a.userId).not.toBe(b.userId);
    expect((await auth.verify('mpk_all')).userId).not.toContain('mpk_all');
  });

  it('accepts configured API keys with their channel patterns', async () => {
    expect(canRead(await auth.verify('mpk_all'), 'portfolio')).toBe(true);
    const md = await auth.verify('mpk_md');
    expect([canRead(md, 'market-data:MSFT'), canRead(md, 'alerts'), canRead(md, 'portfolio')]).toEqual([true, true, false]);
  });

  it('reads scopes and user_id from a JWT, and gives a token without the read scope no channel', async () => {
    const sign = (claims: JWTPayload) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1m').sign(new TextEncoder().encode(SECRET));
    const publisher = await auth.verify(await sign({ user_id: 'engine', scope: 'publish bogus' }));
    expect(publisher).toMatchObject({ userId: 'engine', scopes: ['publish'], channels: [] });
    expect(canRead(publisher, 'portfolio')).toBe(false);
    await expect(auth.verify(await sign({ scopes: ['read'] }))).rejects.toThrow(/names no user/);
  });

  it('accepts a key created through the API, on the same terms as on HTTP: its user, scopes and expiry', async () => {
    const key = 'mpk_0123456789abcdefghijklmnopqrstuv';
    const withStore = createAuthenticator({
      jwtSecret: SECRET,
      defaultScopes: DEFAULT_SCOPES,
      apiKeys: storeWith(key, { scopes: ['read', 'publish'], expires_at: '2099-01-01T00:00:00.000Z' }),
    });
    const principal = await withStore.verify(key);
    expect(principal).toMatchObject({
      userId: 'alice',
      scopes: ['read', 'publish'],
      method: 'api_key',
      keyId: 'key_1',
      expiresAt: Date.parse('2099-01-01T00:00:00.000Z'),
    });
    expect(canRead(principal, 'market-data:AAPL')).toBe(true);
    const writeOnly = createAuthenticator({ defaultScopes: DEFAULT_SCOPES, apiKeys: storeWith(key, { scopes: ['publish'] }) });
    expect(canRead(await writeOnly.verify(key), 'market-data:AAPL')).toBe(false);
    await expect(withStore.verify('mpk_other')).rejects.toBeInstanceOf(AuthError);
  });

  it('refuses a JWT without exp, and one whose lifetime is over JWT_MAX_LIFETIME_SECONDS', async () => {
    const key = new TextEncoder().encode(SECRET);
    const forever = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').sign(key);
    await expect(auth.verify(forever)).rejects.toThrow(/no "exp" claim/);
    const capped = createAuthenticator({ jwtSecret: SECRET, defaultScopes: DEFAULT_SCOPES, jwtMaxLifetimeSeconds: 3600 });
    await expect(capped.verify(await mintToken({ secret: SECRET, subject: 'alice', ttlSeconds: 3600 }))).resolves.toMatchObject({
      userId: 'alice',
    });
    await expect(capped.verify(await mintToken({ secret: SECRET, subject: 'alice', ttlSeconds: 3601 }))).rejects.toThrow(
      /JWT_MAX_LIFETIME_SECONDS/,
    );
    // A future iat cannot stretch the lifetime: it counts from now at the latest.
    const now = Math.floor(Date.now() / 1000);
    const backdated = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .setIssuedAt(now + 10 * 86_400)
      .setExpirationTime(now + 10 * 86_400 + 60)
      .sign(key);
    await expect(capped.verify(backdated)).rejects.toThrow(/JWT_MAX_LIFETIME_SECONDS/);
  });

  it('gives a store key the channels it was created with', async () => {
    const key = 'mpk_0123456789abcdefghijklmnopqrstuv';
    const narrow = createAuthenticator({ defaultScopes: DEFAULT_SCOPES, apiKeys: storeWith(key, { channels: ['market-data:*'] }) });
    const principal = await narrow.verify(key);
    expect([canRead(principal, 'market-data:AAPL'), canRead(principal, 'alerts')]).toEqual([true, false]);
  });

  it('remembers unknown keys: repeating one costs one database look-up, and needsLookup says so', async () => {
    let lookups = 0;
    const counted = { ...storeWith('mpk_0123456789abcdefghijklmnopqrstuv', {}) };
    const inner = counted.verify;
    counted.verify = (k) => {
      lookups++;
      return inner(k);
    };
    const withStore = createAuthenticator({ defaultScopes: DEFAULT_SCOPES, apiKeys: counted, unknownKeyCacheMs: 60_000 });
    const bad = 'mpk_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ';
    expect(withStore.needsLookup(bad)).toBe(true);
    for (let i = 0; i < 100; i++) await expect(withStore.verify(bad)).rejects.toThrow('API key unknown');
    expect(lookups).toBe(1);
    expect(withStore.needsLookup(bad)).toBe(false);
    // Not shaped like a key at all: refused without a look-up.
    await expect(withStore.verify('not-a-key')).rejects.toBeInstanceOf(AuthError);
    expect(lookups).toBe(1);
  });

  it('lets holders of store keys learn of revocations, re-checking at the configured interval', async () => {
    const key = 'mpk_0123456789abcdefghijklmnopqrstuv';
    const withStore = createAuthenticator({ defaultScopes: DEFAULT_SCOPES, apiKeys: storeWith(key, {}), apiKeyRecheckMs: 5000 });
    expect(withStore.revocations?.recheckMs).toBe(5000);
    expect(await withStore.revocations?.deadKeys(['key_1', 'key_gone'])).toEqual(['key_gone']);
    // Without a store nothing can be revoked, so there is nothing to watch.
    expect(auth.revocations).toBeUndefined();
  });

  describe('RS256 via a JWKS URL', () => {
    let server: Server;
    let url: string;
    let privateKey: CryptoKey;

    beforeAll(async () => {
      const pair = await generateKeyPair('RS256');
      privateKey = pair.privateKey;
      const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
      server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as { port: number }).port}/.well-known/jwks.json`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('accepts a token signed by a key of the JWKS and refuses HS256 when no secret is configured', async () => {
      const rsAuth = createAuthenticator({ jwksUrl: url, defaultScopes: DEFAULT_SCOPES });
      const token = await new SignJWT({ channels: ['alerts'] })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setSubject('svc')
        .setExpirationTime('5m')
        .sign(privateKey);
      const claims = await rsAuth.verify(token);
      expect(claims).toMatchObject({ userId: 'svc', channels: ['alerts'] });
      await expect(rsAuth.verify(await mintToken({ secret: SECRET, subject: 'x', ttlSeconds: 60 }))).rejects.toThrow(
        /HS256 needs JWT_SECRET/,
      );
    });
  });
});
