import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, canRead, createAuthenticator, parseApiKeys } from './auth';
import { mintToken } from './mint_token';

const SECRET = 'unit-test-secret-0123456789';

describe('createAuthenticator', () => {
  const auth = createAuthenticator({ jwtSecret: SECRET, apiKeys: parseApiKeys('mpk_all,mpk_md=market-data:* alerts') });

  it('accepts an HS256 token minted with the secret, its channels claim deciding what it reads', async () => {
    const claims = await auth.verify(await mintToken({ secret: SECRET, subject: 'u1', channels: ['market-data:*'], ttlSeconds: 60 }));
    expect(claims).toMatchObject({ subject: 'u1', method: 'jwt' });
    expect(canRead(claims, 'market-data:AAPL')).toBe(true);
    expect(canRead(claims, 'alerts')).toBe(false);
    const everything = await auth.verify(await mintToken({ secret: SECRET, subject: 'u2', ttlSeconds: 60 }));
    expect(canRead(everything, 'portfolio')).toBe(true);
  });

  it('rejects a token signed with another secret, an expired one, and unknown API keys', async () => {
    await expect(auth.verify(await mintToken({ secret: 'another-secret-0123456789', subject: 'x', ttlSeconds: 60 }))).rejects.toBeInstanceOf(AuthError);
    const expired = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(Math.floor(Date.now() / 1000) - 60).sign(new TextEncoder().encode(SECRET));
    await expect(auth.verify(expired)).rejects.toThrow(/JWT rejected/);
    await expect(auth.verify('mpk_unknown')).rejects.toThrow('unknown API key');
  });

  it('accepts configured API keys with their channel patterns', async () => {
    expect(canRead(await auth.verify('mpk_all'), 'portfolio')).toBe(true);
    const md = await auth.verify('mpk_md');
    expect([canRead(md, 'market-data:MSFT'), canRead(md, 'alerts'), canRead(md, 'portfolio')]).toEqual([true, true, false]);
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
      const rsAuth = createAuthenticator({ jwksUrl: url, apiKeys: new Map() });
      const token = await new SignJWT({ channels: ['alerts'] }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setSubject('svc').setExpirationTime('5m').sign(privateKey);
      const claims = await rsAuth.verify(token);
      expect(claims).toMatchObject({ subject: 'svc', channels: ['alerts'] });
      await expect(rsAuth.verify(await mintToken({ secret: SECRET, subject: 'x', ttlSeconds: 60 }))).rejects.toThrow(/HS256 needs JWT_SECRET/);
    });
  });
});
