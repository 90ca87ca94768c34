import { createServer, type Server } from 'node:http';
import { mintToken } from '@marketpulse/gateway';
import {
  createTestDatabase,
  startSuiteProcess,
  uniqueTopicPrefix,
  type ManagedProcess,
  type SuiteProcess,
  type TestDatabase,
} from '@marketpulse/tests';

// The fuzz suites' target: every service and the gateway as one process (suite/, the
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
  let suite: SuiteProcess;
  try {
    suite = await startSuiteProcess({
      label,
      kafkaTopicPrefix: uniqueTopicPrefix(label),
      databaseUrl: db.url,
      env: {
        KAFKA_PARTITIONS: '1',
        JWT_SECRET: FUZZ_SECRET,
        // The fuzzer is one client sending as fast as it can; the limits have their own tests.
        API_RATE_LIMIT_PER_MINUTE: '1000000',
        API_RATE_LIMIT_BURST: '100000',
        WS_RATE_LIMIT: '100000',
        // Its webhook URLs are loopback IP literals (openapi_arbitraries.ts): no DNS query leaves the machine.
        WEBHOOK_ALLOW_LOOPBACK: 'true',
        MONITOR_PROVIDERS: JSON.stringify([
          { name: 'Loopback', url: upstreamUrl, category: 'market_data', rate_limit: { limit: 1000, per: 'minute' } },
        ]),
      },
    });
  } catch (err) {
    upstream.close();
    await db.drop();
    throw err;
  }
  const proc = suite.process;
  const base = suite.base;
  let exited = false;
  void proc.exited.then(() => {
    exited = true;
  });
  return {
    base,
    ws: suite.ws,
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
      await suite.stop();
      upstream.closeAllConnections();
      await new Promise<void>((resolve) => upstream.close(() => resolve()));
      await db.drop();
    },
  };
}
