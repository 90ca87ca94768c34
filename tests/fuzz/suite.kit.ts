import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { mintToken } from '@marketpulse/gateway';
import {
  createTestDatabase,
  freePort,
  kafkaBrokers,
  REPO_ROOT,
  startProcess,
  uniqueTopicPrefix,
  waitFor,
  type ManagedProcess,
  type TestDatabase,
} from '@marketpulse/tests';

// The fuzz suites' target: every service and the gateway as one process (services/suite, the
// quick start's entry point, from dist as `pnpm start` runs it) on the run's real Kafka and
// PostgreSQL, so a request that killed any service would kill the process the suite watches.

export const FUZZ_SECRET = 'fuzz-secret-0123456789abcdefghij';
/** Every scope: the fuzzer should reach every procedure's own validation, not stop at 403. */
export const ALL_SCOPES = ['read', 'webhooks:write', 'rules:write', 'scheduler:trigger', 'models:write', 'keys:write', 'publish', 'admin'];

export interface SuiteUnderFuzz {
  /** http://127.0.0.1:<gateway port> */
  base: string;
  /** ws://127.0.0.1:<gateway port> */
  ws: string;
  token: string;
  process: ManagedProcess;
  /** True while the process runs and answers HTTP. */
  alive(): Promise<boolean>;
  /** Log lines of the process containing `needle` (for the failure message). */
  logLines(needle: string): string[];
  close(): Promise<void>;
}

/** The fuzz seed: FUZZ_SEED when set (to replay a failure), else a fixed one so every run tries the same cases. */
export function fuzzSeed(): number {
  const fromEnv = Number(process.env.FUZZ_SEED);
  return Number.isInteger(fromEnv) ? fromEnv : 1313;
}

export async function startSuiteUnderFuzz(label: string): Promise<SuiteUnderFuzz> {
  const db: TestDatabase = await createTestDatabase(label);
  // The provider monitor probes this instead of the internet: fuzz traffic stays on loopback.
  const upstream: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}/ping`;
  const ports: Record<string, string> = {};
  for (const name of [
    'GATEWAY_PORT',
    'PUBLISH_GRPC_PORT',
    'MARKET_DATA_GRPC_PORT',
    'PREDICTION_GRPC_PORT',
    'ALERTING_GRPC_PORT',
    'WEBHOOK_GRPC_PORT',
    'PROVIDER_MONITOR_GRPC_PORT',
  ]) {
    ports[name] = String(await freePort());
  }
  const proc = startProcess(
    process.execPath,
    ['--require', path.join(REPO_ROOT, 'services/runtime/dist/telemetry/register.js'), path.join(REPO_ROOT, 'services/suite/dist/main.js')],
    {
      ...ports,
      BUS: 'kafka',
      KAFKA_BROKERS: kafkaBrokers(),
      KAFKA_TOPIC_PREFIX: uniqueTopicPrefix(label),
      KAFKA_PARTITIONS: '1',
      DATABASE_URL: db.url,
      JWT_SECRET: FUZZ_SECRET,
      OTEL_TRACES_EXPORTER: 'none',
      LOG_LEVEL: 'warn',
      // The fuzzer is one client sending as fast as it can; the limits have their own tests.
      API_RATE_LIMIT_PER_MINUTE: '1000000',
      API_RATE_LIMIT_BURST: '100000',
      WS_RATE_LIMIT: '100000',
      MONITOR_PROVIDERS: JSON.stringify([
        { name: 'Loopback', url: upstreamUrl, category: 'market_data', rate_limit: { limit: 1000, per: 'minute' } },
      ]),
    },
    { label },
  );
  const base = `http://127.0.0.1:${ports.GATEWAY_PORT}`;
  try {
    await Promise.race([
      waitFor(() => proc.output().includes('Marketpulse is running'), {
        timeoutMs: 120_000,
        what: `the suite to start (log: ${proc.logFile})`,
      }),
      proc.exited.then((e) => {
        throw new Error(`the suite exited (code ${e.code}) before it was ready: see ${proc.logFile}`);
      }),
    ]);
  } catch (err) {
    await proc.stop();
    upstream.close();
    await db.drop();
    throw err;
  }
  let exited = false;
  void proc.exited.then(() => {
    exited = true;
  });
  return {
    base,
    ws: `ws://127.0.0.1:${ports.GATEWAY_PORT}`,
    token: await mintToken({ secret: FUZZ_SECRET, subject: 'fuzzer', ttlSeconds: 3600, scopes: ALL_SCOPES }),
    process: proc,
    async alive() {
      if (exited) return false;
      // /info answers whenever the process serves (/health may be 503 while Kafka catches up).
      const res = await fetch(`${base}/info`).catch(() => undefined);
      return res !== undefined && res.status === 200;
    },
    logLines: (needle) =>
      proc
        .output()
        .split('\n')
        .filter((l) => l.includes(needle)),
    async close() {
      await proc.stop();
      upstream.closeAllConnections();
      await new Promise<void>((resolve) => upstream.close(() => resolve()));
      await db.drop();
    },
  };
}
