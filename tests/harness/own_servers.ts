import { rmSync } from 'node:fs';
import { runDirFor, type ServerName } from './config';
import { runInfraScript } from './local_servers';
import { freePort, portAnswers } from './ports';

// Servers a test starts for itself (own port, own data folder), so that stopping them disturbs no
// other test: the *.outage.test.ts files, which take a broker or a database away mid-test.

/** A free port for a broker of the test's own whose controller port (port + 1) is free as well. */
export async function spareKafkaPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (!(await portAnswers('127.0.0.1', port + 1, 300))) return port;
  }
}

/** Stops a server the test started on `port` (if it still runs) and removes its data folder: for afterAll. */
export async function removeOwnServer(name: ServerName, port: number | undefined): Promise<void> {
  if (!port) return;
  await runInfraScript(name, 'stop', port).catch(() => undefined);
  rmSync(runDirFor(name, port), { recursive: true, force: true });
}
