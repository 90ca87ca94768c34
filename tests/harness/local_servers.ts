import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { runDirFor, serverDir, type ServerName } from './config';
import { HarnessError } from './errors';
import { processAlive } from './names';
import { fromRepo, INFRA_DIR } from './paths';

/**
 * Servers started with infra/<name>/start.sh on behalf of test runs. Several runs (two engineers,
 * or a run and a watch session) may share one server, so each run holds a lease file named after
 * its pid; the server is stopped by the last run to leave, and only if a run launched it: start.sh
 * writes the `harness-started` marker when MP_STARTED_BY=harness launches it, and removes it when
 * started by hand (infra/up.sh), so a server someone started on purpose is never stopped by tests.
 */
const MARKER = 'harness-started';

function leaseDir(name: ServerName): string {
  return path.join(serverDir(name), 'leases');
}

export function takeLease(name: ServerName, pid = process.pid): void {
  fs.mkdirSync(leaseDir(name), { recursive: true });
  fs.writeFileSync(path.join(leaseDir(name), String(pid)), '');
}

/** Drops this run's lease; true when the caller should stop the server (see above). */
export function releaseLease(name: ServerName, pid = process.pid): boolean {
  fs.rmSync(path.join(leaseDir(name), String(pid)), { force: true });
  if (!fs.existsSync(path.join(serverDir(name), MARKER))) return false;
  const others = fs.existsSync(leaseDir(name))
    ? fs
        .readdirSync(leaseDir(name))
        .map(Number)
        .filter((p) => p !== pid && processAlive(p))
    : [];
  return others.length === 0;
}

export function clearMarker(name: ServerName): void {
  fs.rmSync(path.join(serverDir(name), MARKER), { force: true });
}

export interface InstallCheck {
  ok: boolean;
  missing: string;
}

export function installed(name: ServerName): InstallCheck {
  const dirHas = (dir: string, test: (f: string) => boolean) => fs.existsSync(dir) && fs.readdirSync(dir).some(test);
  switch (name) {
    case 'kafka':
      return {
        ok: dirHas(path.join(INFRA_DIR, 'kafka', 'libs'), (f) => /^kafka_2\.13-.*\.jar$/.test(f)),
        missing: 'Kafka jars in infra/kafka/libs',
      };
    case 'postgres':
      return {
        ok: dirHas('/usr/lib/postgresql', (v) => fs.existsSync(path.join('/usr/lib/postgresql', v, 'bin', 'pg_ctl'))),
        missing: 'PostgreSQL server binaries (/usr/lib/postgresql/*/bin)',
      };
    case 'zipkin':
      return {
        ok: dirHas(path.join(INFRA_DIR, 'zipkin'), (f) => /^zipkin-server-.*-exec\.jar$/.test(f)),
        missing: "Zipkin's jar in infra/zipkin",
      };
  }
}

const PORT_VARS: Record<ServerName, string> = { kafka: 'KAFKA_PORT', postgres: 'PGPORT', zipkin: 'ZIPKIN_PORT' };

/** Runs infra/<name>/<action>.sh for `port`; rejects with the script's last output lines. */
export function runInfraScript(name: ServerName, action: 'start' | 'stop', port: number): Promise<void> {
  const script = path.join(INFRA_DIR, name, `${action}.sh`);
  if (action === 'start') {
    const check = installed(name);
    if (!check.ok) {
      return Promise.reject(
        new HarnessError(
          'INFRA_NOT_INSTALLED',
          `${check.missing} are missing: run \`bash infra/install.sh\` from the repository root, then run the tests again`,
        ),
      );
    }
  }
  const env = { ...process.env, [PORT_VARS[name]]: String(port), MP_RUN_DIR: runDirFor(name, port), MP_STARTED_BY: 'harness' };
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      process.stderr.write(chunk);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', (err) =>
      reject(new HarnessError('INFRA_START_FAILED', `could not run ${fromRepo(script)}: ${err.message}`, { cause: err })),
    );
    child.once('exit', (code) => {
      if (code === 0) return resolve();
      const tail = output.trim().split('\n').slice(-8).join('\n');
      const logFile = path.join(serverDir(name, port), 'server.log');
      reject(new HarnessError('INFRA_START_FAILED', `${fromRepo(script)} exited with ${code}; see ${fromRepo(logFile)}\n${tail}`));
    });
  });
}
