import { appendFileSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { events } from '@marketpulse/proto';
import { createLogger } from '@marketpulse/runtime';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeRecords } from './spool_codec';
import { SpoolFile } from './spool_file';

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
    expect(first.takeRecovered()).toEqual([]);
    await first.append([event(1), event(2)]);
    await first.append([event(3)]);
    await first.close();

    const second = await SpoolFile.open(path, logger);
    expect(second.takeRecovered().map((e) => e.id)).toEqual(['e1', 'e2', 'e3']);
    expect(second.takeRecovered()).toEqual([]);
    await second.clear();
    expect(statSync(path).size).toBe(0);
    await second.close();
    expect(existsSync(path), 'an empty spool is removed at close').toBe(false);
    const third = await SpoolFile.open(path, logger);
    expect(third.takeRecovered()).toEqual([]);
    await third.close();
  });

  it('drops a torn last record and appends cleanly after the intact ones', async () => {
    const first = await SpoolFile.open(path, logger);
    await first.append([event(1), event(2)]);
    await first.close();
    appendFileSync(path, encodeRecords([event(3)]).subarray(0, 11));

    const second = await SpoolFile.open(path, logger);
    expect(second.takeRecovered().map((e) => e.id)).toEqual(['e1', 'e2']);
    await second.append([event(4)]);
    await second.close();

    const third = await SpoolFile.open(path, logger);
    expect(third.takeRecovered().map((e) => e.id)).toEqual(['e1', 'e2', 'e4']);
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
