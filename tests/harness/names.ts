import { randomBytes } from 'node:crypto';

/** Databases and topics made by tests start with this, then the run id (whose first part is a pid). */
export const TEST_NAME_PREFIX = 'mpt';

export function randomSuffix(): string {
  return randomBytes(3).toString('hex');
}

/** Lower-case letters, digits and `_` only: safe in both database and topic names. */
export function sanitizeLabel(label: string, maxLength: number): string {
  const clean = label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return (clean || 'test').slice(0, Math.max(1, maxLength));
}

const OWNER = new RegExp(`^${TEST_NAME_PREFIX}[._](\\d+)_`);

/** The pid in a database or topic name made by a run ("mpt_<pid>_…", "mpt.<pid>_…"), if it is one. */
export function ownerPid(name: string): number | undefined {
  const match = OWNER.exec(name);
  return match ? Number(match[1]) : undefined;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
