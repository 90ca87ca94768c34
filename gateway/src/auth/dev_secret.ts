import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The development profile's HS256 secret lives in a file under the data directory, so `mint-token`
 * signs what the running suite accepts without sharing an environment with it, and tokens minted
 * before a restart still work after it. Only the suite's development profile creates it.
 */
export function devSecretPath(dataDir: string = process.env.PGLITE_DIR ?? '.data'): string {
  return path.resolve(dataDir, 'dev-jwt-secret');
}

export function readDevSecret(file: string): string | undefined {
  try {
    const secret = readFileSync(file, 'utf8').trim();
    return secret.length >= 16 ? secret : undefined;
  } catch {
    return undefined;
  }
}

/** The secret in `file`, created (owner-only, 256 random bits) when missing. */
export function readOrCreateDevSecret(file: string): string {
  const existing = readDevSecret(file);
  if (existing) return existing;
  mkdirSync(path.dirname(file), { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
