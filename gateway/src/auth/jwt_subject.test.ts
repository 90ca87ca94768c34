import fc from 'fast-check';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { AuthError } from './auth_error';
import { createJwtVerifier } from './jwt';

// A correctly signed token whose "sub" (or "user_id") is not a string named a user anyway: the
// objects {"a":1} and {"b":2} both became the user "[object Object]" and shared every webhook,
// rule and key, and ["alice"] became alice. The verifier now refuses such a token, saying which
// claim is wrong, and takes a string subject exactly as it is.

const SECRET = 'jwt-subject-secret-0123456789abcdef';
const key = new TextEncoder().encode(SECRET);

function sign(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('10m').sign(key);
}

/** JSON values that are not a string: what an issuer's bug or a mapped IdP attribute may put in a claim. */
const notAString = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 3 }),
);

describe('JWT subject', () => {
  const verify = createJwtVerifier({ secret: SECRET }, ['read']);

  it('refuses a sub or user_id that is not a string, naming the claim', async () => {
    await fc.assert(
      fc.asyncProperty(notAString, fc.constantFrom('sub', 'user_id'), async (value, claim) => {
        const token = await sign(claim === 'sub' ? { sub: value } : { sub: 'fallback', user_id: value });
        const refusal = await verify(token).then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(refusal).toBeInstanceOf(AuthError);
        expect((refusal as AuthError).message).toContain(`"${claim}"`);
      }),
      { seed: 2026, numRuns: 60 },
    );
  });

  it('takes a string subject as it is, user_id first', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 40 }), async (subject) => {
        expect((await verify(await sign({ sub: subject }))).userId).toBe(subject);
        expect((await verify(await sign({ sub: 'other', user_id: subject }))).userId).toBe(subject);
      }),
      { seed: 2026, numRuns: 40 },
    );
  });
});
