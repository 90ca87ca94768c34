import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

/**
 * PostgreSQL settings that keep embedded PGlite small. PGlite's defaults size shared memory for a
 * server (shared_buffers 160 MB, 100 connections' lock and process tables), and PGlite touches all of
 * it at start: about 190 MiB of resident WebAssembly memory. One connection needs none of that, and
 * PGlite's data files sit in the operating system's page cache anyway, so a few MB of buffers lose
 * nothing a service here notices (measured in bench/fanout/README.md, "Where the gateway's memory goes").
 */
export const PGLITE_MEMORY_SETTINGS: Readonly<Record<string, string>> = {
  shared_buffers: '4MB',
  max_connections: '2',
};

/** PGlite's own start parameters plus the settings above (start parameters, not postgresql.conf: nothing is written to the data folder). */
export function pgliteStartParams(): string[] {
  return [...PGlite.defaultStartParams, ...Object.entries(PGLITE_MEMORY_SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`])];
}

// Runs in a child Node process: creates the database folder with PGlite (which runs initdb) and exits.
const INITDB_PROGRAM = `
const [entry, dataPath, params] = process.argv.slice(1);
const { PGlite } = require(entry);
PGlite.create(dataPath, { startParams: JSON.parse(params) })
  .then((pg) => pg.close())
  .catch((err) => { process.stderr.write(String((err && err.message) || err)); process.exitCode = 1; });
`;

/**
 * Creates PGlite's data folder (initdb) in a child process when it has none yet. In-process, initdb
 * starts two more PostgreSQL WebAssembly instances next to the one the service keeps, and PGlite
 * 0.5 keeps them reachable after initdb: about 400 MiB of the process's memory for its whole life.
 * A child process gives all of it back when it exits.
 */
export async function initializeDataFolder(dataPath: string, startParams: string[]): Promise<void> {
  if (existsSync(join(dataPath, 'PG_VERSION'))) return;
  const entry = createRequire(__filename).resolve('@electric-sql/pglite');
  const child = spawn(process.execPath, ['-e', INITDB_PROGRAM, entry, dataPath, JSON.stringify(startParams)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    if (stderr.length < 4096) stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`initdb exited with ${code}: ${stderr.trim() || 'no message'}`);
}
