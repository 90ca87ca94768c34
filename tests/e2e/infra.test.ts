import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  ensureZipkin,
  freePort,
  kafkaBrokers,
  startProcess,
  uniqueTopicPrefix,
  waitFor,
  waitForKafkaReady,
  waitForPostgresReady,
} from '../harness';

describe('test infrastructure', () => {
  it('carries a record through the real Kafka broker on an isolated topic', async () => {
    const topic = `${uniqueTopicPrefix('infra')}probe`;
    const kafka = new Kafka({ clientId: 'infra-test', brokers: kafkaBrokers().split(','), logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    const consumer = kafka.consumer({ groupId: `${topic}.group` });
    await producer.connect();
    await consumer.connect();
    try {
      await producer.send({
        topic,
        acks: -1,
        messages: [{ key: 'AAPL', value: 'tick-1', headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } }],
      });
      const received: Array<{ key: string; value: string; traceparent: string }> = [];
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          received.push({
            key: String(message.key),
            value: String(message.value),
            traceparent: String(message.headers?.traceparent),
          });
        },
      });
      await waitFor(() => received.length > 0, { timeoutMs: 20_000, what: `the record on ${topic}` });
      expect(received).toEqual([{ key: 'AAPL', value: 'tick-1', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }]);
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
    }
  });

  it('creates a fresh PostgreSQL database that answers queries and can be dropped', async () => {
    const db = await createTestDatabase('infra probe');
    expect(db.name).toMatch(/^mpt_\d+_[a-z0-9]+_infra_probe_[0-9a-f]{6}$/);
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query('CREATE TABLE quotes (symbol text PRIMARY KEY, price numeric NOT NULL)');
      await client.query('INSERT INTO quotes VALUES ($1, $2)', ['AAPL', '189.5']);
      const { rows } = await client.query('SELECT symbol, price::text AS price, current_database() AS db FROM quotes');
      expect(rows).toEqual([{ symbol: 'AAPL', price: '189.5', db: db.name }]);
    } finally {
      await client.end();
    }
    await db.drop();
    await expect(waitForPostgresReady(db.url, { timeoutMs: 500 })).rejects.toThrow(/does not exist/);
  });

  it('fails fast, naming the address, when nothing listens where Kafka should be', async () => {
    // It settles, at its own timeout (the message says so), instead of waiting for ever.
    const port = await freePort();
    await expect(waitForKafkaReady(`127.0.0.1:${port}`, { timeoutMs: 2000, hint: 'see .run/kafka/server.log' })).rejects.toThrow(
      new RegExp(`INFRA_UNREACHABLE.*Kafka at 127\\.0\\.0\\.1:${port} did not become ready within 2s; see \\.run/kafka/server\\.log`),
    );
  });

  it('fails fast, naming the address, when nothing listens where PostgreSQL should be', async () => {
    const port = await freePort();
    await expect(waitForPostgresReady(`postgres://postgres@127.0.0.1:${port}/postgres`, { timeoutMs: 1500 })).rejects.toThrow(
      new RegExp(`PostgreSQL at 127\\.0\\.0\\.1:${port} did not become ready within 1\\.5s.*ECONNREFUSED`),
    );
  });

  it('runs a child process with its output in a log file and stops it', async () => {
    const proc = startProcess(process.execPath, ['-e', 'console.log("listening"); setInterval(() => {}, 1000)'], {}, { label: 'sleeper' });
    await waitFor(() => proc.output().includes('listening'), { timeoutMs: 10_000, what: 'the child to print "listening"' });
    expect(proc.logFile).toMatch(/\.run\/test-logs\/sleeper-\d+-[0-9a-f]{6}\.log$/);
    const exit = await proc.stop();
    expect(exit.signal).toBe('SIGTERM');
  });

  it('brings up Zipkin on demand and it stores the spans it is sent', async () => {
    const zipkin = await ensureZipkin();
    const traceId = randomBytes(16).toString('hex');
    const span = {
      traceId,
      id: traceId.slice(0, 16),
      name: 'probe',
      timestamp: Date.now() * 1000,
      duration: 1000,
      localEndpoint: { serviceName: 'infra-test' },
    };
    const posted = await fetch(`${zipkin}/api/v2/spans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([span]),
    });
    expect(posted.status).toBe(202);
    const trace = await waitFor(
      async () => {
        const res = await fetch(`${zipkin}/api/v2/trace/${traceId}`);
        return res.ok ? ((await res.json()) as Array<{ name: string }>) : undefined;
      },
      { timeoutMs: 10_000, what: `trace ${traceId} in Zipkin` },
    );
    expect(trace.map((s) => s.name)).toEqual(['probe']);
  }, 120_000); // a cold Zipkin JVM takes 5-20 s to start on a busy 2-core machine

  it('names what it waited for when a wait times out', async () => {
    await expect(waitFor(() => false, { timeoutMs: 200, intervalMs: 50, what: 'the impossible' })).rejects.toThrow(
      /WAIT_TIMEOUT.*timed out after 200 ms waiting for the impossible/,
    );
  });
});
