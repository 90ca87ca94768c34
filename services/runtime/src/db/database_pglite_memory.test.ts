import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PgliteDatabase } from './database_pglite';
import { PGLITE_MEMORY_SETTINGS } from './pglite_memory';

// Issue 19: embedded PGlite was most of a gateway's memory (588 MiB before any connection): shared
// memory sized for a server, and initdb's two extra PostgreSQL instances kept alive in the process.
// This file runs in its own worker, so the process's WebAssembly memory below is this database's.

const MiB = 2 ** 20;
const dir = mkdtempSync(join(tmpdir(), 'mp-pglite-memory-'));
let db: PgliteDatabase | undefined;
afterAll(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('embedded PGlite memory', () => {
  it('creates a new database folder without keeping initdb in the process, and starts with the small settings', async () => {
    db = await PgliteDatabase.open({ service: 'memory-test', dataDir: dir });
    expect(existsSync(join(dir, 'memory-test', 'PG_VERSION'))).toBe(true);

    const { rows } = await db.query<{ name: string; setting: string; unit: string | null }>(
      'SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1::text[]) ORDER BY name',
      [Object.keys(PGLITE_MEMORY_SETTINGS)],
    );
    // shared_buffers is reported in 8 kB pages: 4MB is 512 of them (PGlite's default was 20481).
    expect(rows).toEqual([
      { name: 'max_connections', setting: '2', unit: null },
      { name: 'shared_buffers', setting: '512', unit: '8kB' },
    ]);

    // One PostgreSQL instance: its 128 MiB WebAssembly memory and the file-system bundle. initdb run
    // in-process left two more instances reachable (external memory 570-650 MiB after a full GC).
    expect(process.memoryUsage().external).toBeLessThan(256 * MiB);
  }, 120_000);

  it('opens the folder it created again, with its data', async () => {
    await db!.exec('CREATE TABLE kept (id int PRIMARY KEY)');
    await db!.query('INSERT INTO kept VALUES (1)');
    await db!.close();
    db = await PgliteDatabase.open({ service: 'memory-test', dataDir: dir });
    expect((await db.query('SELECT id FROM kept')).rows).toEqual([{ id: 1 }]);
  }, 120_000);
});
