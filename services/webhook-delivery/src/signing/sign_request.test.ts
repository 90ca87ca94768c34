import { describe, expect, it } from 'vitest';
import { signRequest } from './sign_request';
import { generateSecret, validateSuppliedSecret } from './secret';

// The test vector published with the Standard Webhooks specification (and used by Svix's libraries).
const SPEC_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const SPEC_ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const SPEC_BODY = '{"test": 2432232314}';
const SPEC_SIGNATURE = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';

describe('signRequest', () => {
  it('matches the Standard Webhooks test vector', () => {
    const headers = signRequest([SPEC_SECRET], SPEC_ID, new Date(1614265330_000), SPEC_BODY);
    expect(headers).toEqual({ 'webhook-id': SPEC_ID, 'webhook-timestamp': '1614265330', 'webhook-signature': SPEC_SIGNATURE });
  });

  it('sends one signature per secret during a rotation, separated by spaces', () => {
    const next = generateSecret();
    const headers = signRequest([next, SPEC_SECRET], SPEC_ID, new Date(1614265330_000), SPEC_BODY);
    const parts = headers['webhook-signature'].split(' ');
    expect(parts).toHaveLength(2);
    expect(parts[1]).toBe(SPEC_SIGNATURE);
    expect(parts[0]).not.toBe(SPEC_SIGNATURE);
  });
});

describe('secrets', () => {
  it('generates whsec_ secrets carrying 24 key bytes', () => {
    const s = generateSecret();
    expect(s.startsWith('whsec_')).toBe(true);
    expect(Buffer.from(s.slice(6), 'base64')).toHaveLength(24);
    expect(generateSecret()).not.toBe(s);
  });

  it('refuses supplied secrets shorter than 16 characters or with broken base64', () => {
    expect(() => validateSuppliedSecret('short-secret')).toThrow(/at least 16/);
    expect(() => validateSuppliedSecret('whsec_not*base64*at*all!!')).toThrow(/base64/);
    expect(() => validateSuppliedSecret('your-secret-key-min-16-chars')).not.toThrow();
    expect(() => validateSuppliedSecret(SPEC_SECRET)).not.toThrow();
  });
});
