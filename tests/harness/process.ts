import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll } from 'vitest';
import { HarnessError } from './errors';
import { randomSuffix, sanitizeLabel } from './names';
import { fromRepo, REPO_ROOT, TEST_LOG_DIR } from './paths';

export interface StartProcessOptions {
  /** Names the log file (default: the command's and first argument's base names). */
  label?: string;
  cwd?: string;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** stdout and stderr of the process, interleaved, under .run/test-logs/. */
  readonly logFile: string;
  /** Settles when the process exits (for whatever reason). */
  readonly exited: Promise<ExitInfo>;
  /** Everything it has written so far. */
  output(): string;
  /** SIGTERM, then SIGKILL after graceMs (default 5 s); resolves once it has exited. */
  stop(graceMs?: number): Promise<ExitInfo>;
}

const running = new Set<ManagedProcess>();

/**
 * Spawns `cmd args` (e.g. process.execPath, ['services/alerting/dist/main.js']) with process.env
 * plus `env`, logs to a file, and kills it when the test file finishes if the test did not.
 */
export function startProcess(
  cmd: string,
  args: string[] = [],
  env: Record<string, string | undefined> = {},
  options: StartProcessOptions = {},
): ManagedProcess {
  fs.mkdirSync(TEST_LOG_DIR, { recursive: true });
  const label = sanitizeLabel(options.label ?? [cmd, ...args.slice(0, 1)].map((p) => path.basename(p)).join('-'), 60);
  const logFile = path.join(TEST_LOG_DIR, `${label}-${Date.now()}-${randomSuffix()}.log`);
  const fd = fs.openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(cmd, args, {
      cwd: options.cwd ?? REPO_ROOT,
      // METRICS_PORT=0 unless a test asks for one: two services of one kind started by tests
      // running side by side would both want their fixed default port. GATEWAY_WORKERS=1 unless a
      // test asks for workers: tests signal, time and count one gateway process (its pid, its /metrics).
      env: { METRICS_PORT: '0', GATEWAY_WORKERS: '1', ...process.env, ...env },
      stdio: ['ignore', fd, fd],
    });
  } finally {
    fs.closeSync(fd);
  }
  if (child.pid === undefined) {
    throw new HarnessError('PROCESS_START_FAILED', `could not spawn ${cmd}: see ${fromRepo(logFile)}`);
  }
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (err) => {
      fs.appendFileSync(logFile, `\n[harness] spawn error: ${err.message}\n`);
      resolve({ code: null, signal: null });
    });
  });
  let done = false;
  void exited.then(() => {
    done = true;
    running.delete(handle);
  });

  const handle: ManagedProcess = {
    child,
    pid: child.pid,
    logFile,
    exited,
    output: () => fs.readFileSync(logFile, 'utf8'),
    async stop(graceMs = 5000) {
      if (done) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  running.add(handle);
  return handle;
}

/** Stops every process startProcess started in this worker that is still running. */
export async function stopAllProcesses(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

// Registered when a test file imports the harness, so its processes die with that file. Outside a
// test file (no runner to register with) the exit hook below is the only safety net.
try {
  afterAll(stopAllProcesses);
} catch {
  // not collected by vitest
}

process.once('exit', () => {
  for (const p of running) p.child.kill('SIGKILL');
});
