import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { developmentProfile } from './dev_profile';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const dataDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'mp-dev-profile-'));
  dirs.push(d);
  return d;
};

describe("the first command's development profile", () => {
  it('is off under GATEWAY_ENV=production: nothing is opened, written or started', async () => {
    const dir = dataDir();
    expect(await developmentProfile({ GATEWAY_ENV: 'production', PGLITE_DIR: dir }, { checkOnly: false })).toBeUndefined();
    expect(existsSync(path.join(dir, 'dev-jwt-secret'))).toBe(false);
  });

  it('keeps one owner-only JWT secret across restarts, so minted tokens outlive a restart', async () => {
    const dir = dataDir();
    const first = (await developmentProfile({ PGLITE_DIR: dir, MONITOR_PROVIDERS: '' }, { checkOnly: false }))!;
    const second = (await developmentProfile({ PGLITE_DIR: dir, MONITOR_PROVIDERS: '' }, { checkOnly: false }))!;
    expect(first.env.GATEWAY_ENV).toBe('development');
    expect(first.env.JWT_SECRET!.length).toBeGreaterThanOrEqual(32);
    expect(second.env.JWT_SECRET).toBe(first.env.JWT_SECRET);
    expect(statSync(first.secretFile!).mode & 0o077).toBe(0);
  });

  it('leaves what the environment sets, and --check-config writes nothing', async () => {
    const dir = dataDir();
    const given = (await developmentProfile(
      { PGLITE_DIR: dir, JWT_SECRET: 'a-secret-of-my-own-choosing', MONITOR_PROVIDERS: '[]', WEBHOOK_ALLOW_LOOPBACK: 'false' },
      { checkOnly: false },
    ))!;
    expect(given.env).toEqual({ GATEWAY_ENV: 'development' });
    await developmentProfile({ PGLITE_DIR: dir }, { checkOnly: true });
    expect(existsSync(path.join(dir, 'dev-jwt-secret'))).toBe(false);
  });
});
