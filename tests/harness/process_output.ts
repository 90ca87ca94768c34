import { HarnessError } from './errors';
import { fromRepo } from './paths';
import type { ManagedProcess } from './process';
import { waitFor } from './wait';

/**
 * Waits until `ready(output)` holds for what a started process has written, and fails at once
 * (naming its log) if the process exits first instead of waiting out the timeout.
 */
export async function waitForProcessOutput(
  proc: ManagedProcess,
  ready: (output: string) => boolean,
  { timeoutMs, what }: { timeoutMs: number; what: string },
): Promise<void> {
  let settled = false;
  const exitedFirst = proc.exited.then((e) => {
    if (settled) return;
    throw new HarnessError(
      'PROCESS_EXITED',
      `the process exited (code ${e.code}, signal ${e.signal}) before ${what}: see ${fromRepo(proc.logFile)}`,
    );
  });
  try {
    await Promise.race([waitFor(() => ready(proc.output()), { timeoutMs, what: `${what} (log: ${fromRepo(proc.logFile)})` }), exitedFirst]);
  } finally {
    settled = true;
  }
}
