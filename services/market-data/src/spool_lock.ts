import { open, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { SpoolError } from './spool_error';

interface Owner {
  pid: number;
  host: string;
}

/** Lock files this process holds: a second publisher here must not share a spool either. */
const heldHere = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function owner(lockPath: string): Promise<Owner | undefined> {
  try {
    return JSON.parse(await readFile(lockPath, 'utf8')) as Owner;
  } catch {
    return undefined;
  }
}

/**
 * Takes the lock file beside a spool, so two processes never append to (or replay) the same spool.
 * A lock left by a process that died (kill -9) on this host is taken over; one held by a live
 * process, or by another host sharing the folder, is refused. Resolves to the release function.
 */
export async function acquireSpoolLock(lockPath: string): Promise<() => Promise<void>> {
  if (heldHere.has(lockPath)) {
    throw new SpoolError(
      'SPOOL_LOCKED',
      `spool lock ${lockPath} is already held by this process; give each publisher its own MARKET_SPOOL_DIR or KAFKA_TOPIC_PREFIX`,
    );
  }
  const me: Owner = { pid: process.pid, host: hostname() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockPath, 'wx');
      try {
        await handle.writeFile(JSON.stringify(me));
        await handle.sync();
      } finally {
        await handle.close();
      }
      heldHere.add(lockPath);
      return async () => {
        heldHere.delete(lockPath);
        await rm(lockPath, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new SpoolError(
          'SPOOL_IO',
          `cannot create spool lock ${lockPath}: ${(error as Error).message}; check that the folder is writable`,
        );
      }
    }
    const held = await owner(lockPath);
    // A restarted process in a container often gets its predecessor's pid: our own pid is stale too.
    const stale = held === undefined || (held.host === me.host && (held.pid === me.pid || !alive(held.pid)));
    if (!stale) {
      throw new SpoolError(
        'SPOOL_LOCKED',
        `spool ${lockPath} is in use by pid ${held.pid} on ${held.host}; give each market-data process its own MARKET_SPOOL_DIR (or stop the other one)`,
      );
    }
    await rm(lockPath, { force: true });
  }
  throw new SpoolError('SPOOL_LOCKED', `spool lock ${lockPath} was taken by another process while this one started; retry`);
}
