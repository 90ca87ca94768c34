import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import {
  createTestDatabase,
  kafkaBrokers,
  REPO_ROOT,
  startSuiteProcess,
  uniqueTopicPrefix,
  type ManagedProcess,
  type TestDatabase,
} from '@marketpulse/tests';

// The running suite for clients in other languages (grpcurl, Go, Python): every service and the
// gateway in one process (suite/, as built by `tsc -b`) on the run's Kafka and PostgreSQL,
// each gRPC service on a free port, plus a loopback HTTP server that is both the provider
// provider-monitor checks and the receiver of webhook deliveries.

const JWT_SECRET = 'polyglot-conformance-secret-0123456789';

export interface RunningSuite {
  /** gRPC address of each service, by the env variable a client reads it from. */
  addresses: {
    MP_MARKET_DATA_ADDR: string;
    MP_PREDICTION_ADDR: string;
    MP_ALERTING_ADDR: string;
    MP_WEBHOOK_ADDR: string;
    MP_PROVIDER_MONITOR_ADDR: string;
    MP_PUBLISH_ADDR: string;
  };
  /** What a conformance suite reads from its environment. */
  env: Record<string, string>;
  process: ManagedProcess;
  stop(): Promise<void>;
}

/** An HS256 JWT the gateway accepts (sub = userId). */
export function tokenFor(userId: string, scopes: string[]): string {
  const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: userId, iat: now, exp: now + 3600, scopes })}`;
  return `${head}.${createHmac('sha256', JWT_SECRET).update(head).digest('base64url')}`;
}

export async function startSuite(label: string): Promise<RunningSuite> {
  const db: TestDatabase = await createTestDatabase(label);
  const prefix = uniqueTopicPrefix(label);
  const upstream: Server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;

  const suite = await startSuiteProcess({
    label: `${label}-suite`,
    kafkaTopicPrefix: prefix,
    databaseUrl: db.url,
    env: {
      KAFKA_PARTITIONS: '1',
      JWT_SECRET,
      WEBHOOK_ALLOW_LOOPBACK: 'true',
      MONITOR_PROVIDERS: JSON.stringify([
        { name: 'Upstream', url: `${base}/ping`, category: 'market_data', rate_limit: { limit: 600, per: 'minute' } },
      ]),
    },
  });
  const addresses = {
    MP_MARKET_DATA_ADDR: suite.address('MARKET_DATA_GRPC_PORT'),
    MP_PREDICTION_ADDR: suite.address('PREDICTION_GRPC_PORT'),
    MP_ALERTING_ADDR: suite.address('ALERTING_GRPC_PORT'),
    MP_WEBHOOK_ADDR: suite.address('WEBHOOK_GRPC_PORT'),
    MP_PROVIDER_MONITOR_ADDR: suite.address('PROVIDER_MONITOR_GRPC_PORT'),
    MP_PUBLISH_ADDR: suite.address('PUBLISH_GRPC_PORT'),
  };
  return {
    addresses,
    env: {
      ...addresses,
      MP_PUBLISH_TOKEN: tokenFor('conformance-publisher', ['publish']),
      MP_KAFKA_BROKERS: kafkaBrokers(),
      MP_KAFKA_TOPIC_PREFIX: prefix,
      MP_WEBHOOK_URL: `${base}/webhook`,
      MP_PROVIDER: 'Upstream',
    },
    process: suite.process,
    async stop() {
      await suite.stop();
      await new Promise<void>((resolve) => upstream.close(() => resolve()));
      await db.drop();
    },
  };
}

export interface CommandResult {
  code: number | null;
  /** stdout and stderr interleaved. */
  output: string;
  stdout: string;
}

/** Runs a command to its end (bounded by timeoutMs), stdout and stderr interleaved. */
export function run(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; timeoutMs: number },
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d;
      stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, stdout });
    });
  });
}

/** An install script's output on stdout (a tool's folder or path), run to its end. */
export async function installed(script: string): Promise<string> {
  const r = await run('bash', [path.join(REPO_ROOT, script)], { timeoutMs: 900_000 });
  if (r.code !== 0) throw new Error(`${script} failed:\n${r.output}`);
  return r.stdout.trim();
}
