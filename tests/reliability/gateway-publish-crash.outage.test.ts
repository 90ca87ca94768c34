// A gateway killed (kill -9) in the middle of a publish request, after it recorded the event's id
// and before Kafka took the event, must not turn the publisher's retry into a duplicate refusal:
// the event was never published. The broker is this test's own (own port and data folder), so
// stopping it disturbs no other test. Runs the built gateway (`pnpm run build` first) as its own process.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { mintToken } from '@marketpulse/gateway';
import { events } from '@marketpulse/proto';
import { createTopicsWithLeaders } from '@marketpulse/runtime';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  freePort,
  removeOwnServer,
  REPO_ROOT,
  runInfraScript,
  spareKafkaPort,
  startProcess,
  uniqueTopicPrefix,
  waitFor,
  type ManagedProcess,
  type TestDatabase,
} from '../harness';

const MAIN = join(REPO_ROOT, 'gateway/dist/main.js');
const SECRET = 'gateway-publish-crash-test-secret-0123456789';
const PUBLISHER = 'crash-publisher';
const LEASE_SECONDS = 20;

describe.skipIf(Boolean(process.env.MP_RUN_DIR))('a gateway killed while Kafka holds up a publish', () => {
  let kafkaPort: number;
  let db: TestDatabase;
  let token: string;
  const prefix = uniqueTopicPrefix('gw-publish-crash');
  const topic = `${prefix}equity_update`;
  const processes: ManagedProcess[] = [];

  async function startGateway(label: string): Promise<{ proc: ManagedProcess; port: number }> {
    const port = await freePort();
    const proc = startProcess(
      process.execPath,
      [MAIN],
      {
        BUS: 'kafka',
        KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`,
        KAFKA_TOPIC_PREFIX: prefix,
        KAFKA_PARTITIONS: '1',
        DATABASE_URL: db.url,
        GATEWAY_PORT: String(port),
        GATEWAY_WORKERS: '1',
        PUBLISH_GRPC_PORT: '0',
        JWT_SECRET: SECRET,
        PUBLISH_ID_LEASE_SECONDS: String(LEASE_SECONDS),
        LOG_LEVEL: 'info',
      },
      { label },
    );
    processes.push(proc);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/livez`).catch(() => undefined))?.ok, {
      timeoutMs: 60_000,
      what: `gateway ${label} live (log ${proc.logFile})`,
    });
    return { proc, port };
  }

  function publish(port: number, id: string): Promise<Response> {
    return fetch(`http://127.0.0.1:${port}/api/v1/publish/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        events: [{ id, type: 'equity_update', source: 'crash-test', subject: 'ACCT1', data: { total_equity: '1', current_equity: '2' } }],
      }),
    });
  }

  async function idsOnKafka(): Promise<string[]> {
    const kafka = new Kafka({ clientId: `${prefix}reader`, brokers: [`127.0.0.1:${kafkaPort}`], logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: `${prefix}reader-${Date.now()}` });
    const ids: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void ids.push(events.Event.decode(message.value!).id) });
    try {
      await waitFor(() => ids.some((id) => id.endsWith('/after')), { timeoutMs: 30_000, what: 'the events on Kafka' });
    } finally {
      await consumer.disconnect();
    }
    return ids;
  }

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`pnpm run build\` before this suite`);
    kafkaPort = await spareKafkaPort();
    db = await createTestDatabase('gw-publish-crash');
    await runInfraScript('kafka', 'start', kafkaPort);
    const kafka = new Kafka({ clientId: 'gw-publish-crash-admin', brokers: [`127.0.0.1:${kafkaPort}`], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await createTopicsWithLeaders(admin, [{ topic, numPartitions: 1 }]).finally(() => admin.disconnect());
    token = await mintToken({ secret: SECRET, subject: PUBLISHER, scopes: ['publish', 'read'], ttlSeconds: 3600 });
  }, 120_000);

  afterAll(async () => {
    for (const proc of processes) await proc.stop();
    await removeOwnServer('kafka', kafkaPort);
    await db?.drop().catch(() => undefined);
  }, 90_000);

  it('publishes the event when the publisher sends it again after the restart, instead of answering DUPLICATE_EVENT', async () => {
    const first = await startGateway('gw-publish-crash-first');
    expect((await publish(first.port, 'before')).status, 'a publish with the broker up').toBe(202);

    await runInfraScript('kafka', 'stop', kafkaPort);
    // Kafka's client retries for seconds before the publish fails; the id is recorded before that.
    const held = publish(first.port, 'crash-1').catch((err: unknown) => err);
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    try {
      await waitFor(
        async () =>
          (await pg.query('SELECT id FROM gateway.published_event_ids WHERE id = $1', [`${PUBLISHER}/crash-1`])).rows.length > 0 ||
          undefined,
        { timeoutMs: 10_000, what: 'the publish of crash-1 to record its id' },
      );
    } finally {
      await pg.end();
    }
    first.proc.child.kill('SIGKILL');
    expect((await first.proc.exited).signal).toBe('SIGKILL');
    expect(await held, 'the publish request died with its gateway').toBeInstanceOf(Error);

    await runInfraScript('kafka', 'start', kafkaPort);
    const second = await startGateway('gw-publish-crash-second');
    const answers: { status: number; code?: string; retryAfter: string | null }[] = [];
    const settled = await waitFor(
      async () => {
        const res = await publish(second.port, 'crash-1');
        const body = (await res.json()) as { error?: { code: string; message: string } };
        answers.push({ status: res.status, code: body.error?.code, retryAfter: res.headers.get('retry-after') });
        return res.status === 202 || res.status === 409 ? { status: res.status, body } : undefined;
      },
      { timeoutMs: (LEASE_SECONDS + 30) * 1000, intervalMs: 1000, what: 'the retry of crash-1 to be answered for good' },
    );
    expect(settled, 'the retry after the restart is published, not refused: crash-1 never reached Kafka').toMatchObject({ status: 202 });
    // Until the dead gateway's claim runs out, the retry is told to come back, not refused for good.
    for (const a of answers.slice(0, -1))
      expect(a).toMatchObject({ status: 503, code: 'PUBLISH_IN_PROGRESS', retryAfter: expect.stringMatching(/^\d+$/) });

    const again = await publish(second.port, 'crash-1');
    expect(again.status, 'once published, the id is a duplicate').toBe(409);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('DUPLICATE_EVENT');
    expect((await publish(second.port, 'after')).status).toBe(202);
    const ids = await idsOnKafka();
    expect(
      ids.filter((id) => id === `${PUBLISHER}/crash-1`),
      'crash-1 on Kafka exactly once',
    ).toHaveLength(1);
    expect(ids).toContain(`${PUBLISHER}/before`);
  }, 300_000);
});
