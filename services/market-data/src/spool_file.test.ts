import { appendFileSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { events } from '@marketpulse/proto';
import { createLogger } from '@marketpulse/runtime';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeRecords } from './spool_codec';
import { SpoolFile } from './spool_file';

/** Every record's event id, read back in pieces of `each` records. */
async function ids(file: SpoolFile, each = 2): Promise<string[]> {
  const out: string[] = [];
  for (let at = 0; ;) {
    const { records, next } = await file.read(at, each);
    if (records.length === 0) return out;
    out.push(...records.map((r) => r.event.id));
    at = next;
  }
}

const logger = createLogger('test', {}, { level: 'silent' });
const event = (i: number): events.Event => ({
  id: `e${i}`,
  type: 'market_data_update',
  source: 'test',
  subject: 'AAPL',
  time: undefined,
  owner: '',
  payload: undefined,
});
const record = (i: number) => ({ event: event(i), traceparent: null });

describe('SpoolFile', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'spool-file-'));
    path = join(dir, 'nested', 'events.spool');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps appended batches for the next open, in order, and forgets them once cleared', async () => {
    const first = await SpoolFile.open(path, logger);
    expect(first.recovered).toBe(0);
    await first.append([record(1), record(2)]);
    await first.append([record(3)]);
    await first.close();

    const second = await SpoolFile.open(path, logger);
    expect(second.recovered).toBe(3);
    expect(await ids(second)).toEqual(['e1', 'e2', 'e3']);
    await second.clear();
    expect(statSync(path).size).toBe(0);
    await second.close();
    expect(existsSync(path), 'an empty spool is removed at close').toBe(false);
    const third = await SpoolFile.open(path, logger);
    expect(third.recovered).toBe(0);
    await third.close();
  });

  it('drops a torn last record and appends cleanly after the intact ones', async () => {
    const first = await SpoolFile.open(path, logger);
    await first.append([record(1), record(2)]);
    await first.close();
    appendFileSync(path, encodeRecords([record(3)]).subarray(0, 11));

    const second = await SpoolFile.open(path, logger);
    expect(await ids(second)).toEqual(['e1', 'e2']);
    await second.append([record(4)]);
    await second.close();

    const third = await SpoolFile.open(path, logger);
    expect(await ids(third)).toEqual(['e1', 'e2', 'e4']);
    await third.close();
  });

  it('refuses a spool in use, and takes over the lock of a process that died', async () => {
    const held = await SpoolFile.open(path, logger);
    await expect(SpoolFile.open(path, logger)).rejects.toMatchObject({ code: 'SPOOL_LOCKED' });
    await held.close();

    // What a kill -9 leaves: the lock file of a pid that no longer runs.
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: 2 ** 22 + 12345, host: (await import('node:os')).hostname() }));
    const next = await SpoolFile.open(path, logger);
    await next.close();

    writeFileSync(`${path}.lock`, JSON.stringify({ pid: process.ppid, host: (await import('node:os')).hostname() }));
    await expect(SpoolFile.open(path, logger)).rejects.toThrow(/in use by pid/);
  });
});
