import { randomBytes } from 'node:crypto';
import { webhookError } from '../errors';

/** Standard Webhooks secrets are `whsec_` + base64 of the key bytes. */
export const SECRET_PREFIX = 'whsec_';
const GENERATED_KEY_BYTES = 24;
export const MIN_SUPPLIED_SECRET_LENGTH = 16;

/** A fresh secret for a new endpoint or a rotation, in the form every Standard Webhooks library accepts. */
export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(GENERATED_KEY_BYTES).toString('base64');
}

/**
 * Checks a secret a user supplied. A `whsec_` secret must carry valid base64 key bytes; any other
 * string is used as raw key bytes (the seed's style, verified with `{ format: 'raw' }`), so it is
 * limited to printable ASCII where every library agrees on the bytes.
 */
export function validateSuppliedSecret(secret: string): void {
  if (secret.length < MIN_SUPPLIED_SECRET_LENGTH) {
    throw webhookError(
      'INVALID_SECRET',
      `the secret must be at least ${MIN_SUPPLIED_SECRET_LENGTH} characters long; omit it to have a whsec_ secret generated`,
    );
  }
  if (secret.startsWith(SECRET_PREFIX)) {
    const encoded = secret.slice(SECRET_PREFIX.length);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) {
      throw webhookError('INVALID_SECRET', 'a secret starting with whsec_ must continue with base64-encoded key bytes');
    }
    if (Buffer.from(encoded, 'base64').length < 16) {
      throw webhookError('INVALID_SECRET', 'a whsec_ secret must encode at least 16 key bytes');
    }
    return;
  }
  if (!/^[\x21-\x7e]+$/.test(secret)) {
    throw webhookError('INVALID_SECRET', 'a secret without the whsec_ prefix must be printable ASCII without spaces');
  }
}

/** The HMAC key a secret stands for. */
export function secretKey(secret: string): Buffer {
  return secret.startsWith(SECRET_PREFIX) ? Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64') : Buffer.from(secret, 'latin1');
}
