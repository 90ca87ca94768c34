import fc from 'fast-check';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createJwtVerifier } from './jwt';
import type { Scope } from './principal';
import { VerifiedTokens } from './verified_tokens';

const SECRET = 'verified-tokens-secret-0123456789';
const OTHER = 'verified-tokens-other-secret-98765';
const SCOPES: Scope[] = ['read'];
const T0 = Date.UTC(2026, 11, 6, 6, 0, 0);

function sign(secret: string, sub: string, expSeconds: number, iat: number): Promise<string> {
  return new SignJWT({ channels: [`market-data:${sub}`] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt(iat)
    .setExpirationTime(expSeconds)
    .sign(new TextEncoder().encode(secret));
}

/** The answer a verifier gives, comparable across verifiers: the caller it names or its error. */
async function answer(verify: (token: string) => Promise<unknown>, token: string): Promise<unknown> {
  try {
    return { ok: await verify(token) };
  } catch (err) {
    return { error: (err as Error).message, name: (err as Error).name };
  }
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('verified JWTs are remembered', () => {
  it('checks the signature of a token sent again only once', async () => {
    const verify = createJwtVerifier({ secret: SECRET }, SCOPES);
    const token = await sign(SECRET, 'alice', Math.floor(Date.now() / 1000) + 60, Math.floor(Date.now() / 1000));
    const signatures = vi.spyOn(globalThis.crypto.subtle, 'verify');
    const first = await verify(token);
    const again = await verify(token);
    expect(again).toEqual(first);
    expect(signatures).toHaveBeenCalledTimes(1);
  });

  it('refuses a remembered token once its exp has passed, with the message an unremembered one gets', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
    const verify = createJwtVerifier({ secret: SECRET }, SCOPES);
    const token = await sign(SECRET, 'alice', T0 / 1000 + 30, T0 / 1000);
    await expect(verify(token)).resolves.toMatchObject({ userId: 'alice' });
    vi.setSystemTime(T0 + 30_000);
    const fresh = createJwtVerifier({ secret: SECRET }, SCOPES);
    expect(await answer(verify, token)).toEqual(await answer(fresh, token));
    expect(await answer(verify, token)).toMatchObject({ error: expect.stringMatching(/"exp" claim timestamp check failed/) });
  });

  it('answers every token as a verifier that remembers nothing would, whatever the order and the clock (fast-check)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    // A few tokens: good ones with various lifetimes, one signed with another secret, one naming nobody.
    const now = T0 / 1000;
    const tokens = [
      await sign(SECRET, 'alice', now + 10, now),
      await sign(SECRET, 'bob', now + 40, now),
      await sign(SECRET, 'carol', now + 5, now - 1),
      await sign(OTHER, 'mallory', now + 40, now),
      await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime(now + 40)
        .sign(new TextEncoder().encode(SECRET)),
      'not.a.jwt',
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ token: fc.nat(tokens.length - 1), advanceMs: fc.integer({ min: 0, max: 6_000 }) }), { maxLength: 30 }),
        async (steps) => {
          vi.setSystemTime(T0);
          const remembering = createJwtVerifier({ secret: SECRET }, SCOPES);
          let clock = T0;
          for (const step of steps) {
            clock += step.advanceMs;
            vi.setSystemTime(clock);
            const token = tokens[step.token]!;
            const oracle = createJwtVerifier({ secret: SECRET }, SCOPES);
            expect(await answer(remembering, token)).toEqual(await answer(oracle, token));
          }
        },
      ),
      { seed: 19, numRuns: 60 },
    );
  });

  it('keeps at most its bound, the oldest out first, and never a token past its exp', () => {
    const kept = new VerifiedTokens(2);
    const principal = (exp: number) => ({ userId: 'u', scopes: SCOPES, channels: [], method: 'jwt' as const, expiresAt: exp });
    kept.keep('a', principal(T0 + 1_000));
    kept.keep('b', principal(T0 + 1_000));
    kept.keep('c', principal(T0 + 1_000));
    expect(kept.get('a', T0)).toBeUndefined();
    expect(kept.get('b', T0)).toMatchObject({ userId: 'u' });
    expect(kept.get('c', T0 + 999)).toMatchObject({ userId: 'u' });
    expect(kept.get('c', T0 + 1_000)).toBeUndefined();
  });
});
