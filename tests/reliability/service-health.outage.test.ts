import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  removeOwnServer,
  REPO_ROOT,
  runInfraScript,
  spareKafkaPort,
  startProcess,
  uniqueTopicPrefix,
  waitFor,
  type ManagedProcess,
} from '../harness';

// A running service (market-data, its own process) whose broker, then database, goes away says so
// on the standard gRPC health check, and says SERVING again by itself once each returns. The
// broker and the PostgreSQL server are this test's own (own ports and data folders), so stopping
// them disturbs no other test.

type HealthClient = grpc.Client & {
  check(req: { service: string }, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: { status: string }) => void): void;
};

function healthClient(address: string): HealthClient {
  const def = protoLoader.loadSync(healthProtoPath, { keepCase: true, enums: String });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    grpc: { health: { v1: { Health: new (a: string, c: grpc.ChannelCredentials) => HealthClient } } };
  };
  return new pkg.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
}

function status(client: HealthClient): Promise<string> {
  return new Promise((resolve) => {
    client.check({ service: '' }, { deadline: Date.now() + 2000 }, (err, res) =>
      resolve(err ? `ERROR ${err.code}` : (res?.status ?? 'NONE')),
    );
  });
}

describe.skipIf(Boolean(process.env.MP_RUN_DIR))('a service whose broker or database goes away', () => {
  let kafkaPort: number;
  let pgPort: number;
  let grpcPort: number;
  let service: ManagedProcess;
  let client: HealthClient;

  beforeAll(async () => {
    kafkaPort = await spareKafkaPort();
    pgPort = await freePort();
    grpcPort = await freePort();
    await Promise.all([runInfraScript('kafka', 'start', kafkaPort), runInfraScript('postgres', 'start', pgPort)]);
    service = startProcess(
      process.execPath,
      [path.join(REPO_ROOT, 'services/market-data/dist/main.js')],
      {
        BUS: 'kafka',
        KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`,
        KAFKA_TOPIC_PREFIX: uniqueTopicPrefix('health-recovery'),
        DATABASE_URL: `postgres://postgres@127.0.0.1:${pgPort}/postgres`,
        GRPC_PORT: String(grpcPort),
        HEALTH_CHECK_INTERVAL_MS: '500',
        MARKET_SYMBOLS: 'AAPL',
        LOG_LEVEL: 'info',
      },
      { label: 'health-recovery-market-data' },
    );
    client = healthClient(`127.0.0.1:${grpcPort}`);
    await waitFor(async () => (await status(client)) === 'SERVING', {
      timeoutMs: 60_000,
      what: `market-data to report SERVING (log: ${service.logFile})`,
    });
  }, 180_000);

  afterAll(async () => {
    client?.close();
    await service?.stop();
    await removeOwnServer('kafka', kafkaPort);
    await removeOwnServer('postgres', pgPort);
  }, 90_000);

  it('goes NOT_SERVING while Kafka is down and SERVING again once it is back', async () => {
    await runInfraScript('kafka', 'stop', kafkaPort);
    await waitFor(async () => (await status(client)) === 'NOT_SERVING', {
      timeoutMs: 30_000,
      what: 'NOT_SERVING while the broker is down',
    });
    await runInfraScript('kafka', 'start', kafkaPort);
    await waitFor(async () => (await status(client)) === 'SERVING', { timeoutMs: 90_000, what: 'SERVING after the broker returns' });
    expect(service.child.exitCode).toBeNull();
  }, 240_000);

  it('goes NOT_SERVING while PostgreSQL is down and SERVING again once it is back', async () => {
    await runInfraScript('postgres', 'stop', pgPort);
    await waitFor(async () => (await status(client)) === 'NOT_SERVING', {
      timeoutMs: 30_000,
      what: 'NOT_SERVING while the database is down',
    });
    await runInfraScript('postgres', 'start', pgPort);
    await waitFor(async () => (await status(client)) === 'SERVING', { timeoutMs: 60_000, what: 'SERVING after the database returns' });
    expect(service.child.exitCode).toBeNull();
  }, 180_000);
});
