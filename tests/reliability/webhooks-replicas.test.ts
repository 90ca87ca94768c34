import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaBus } from '@marketpulse/runtime';
import { createTestDatabase, uniqueTopicPrefix, waitFor, type TestDatabase } from '../harness';
import { predictionEvent, publisher, Receiver, startWebhookService, type RunningService } from '../e2e/webhooks-support';

// Two replicas against one database and one consumer group share 1,000 events: both do work
// (their intake splits the partitions, their workers claim with SKIP LOCKED) and no event reaches
// the receiver twice.

const EVENTS = 1000;
const env = { WEBHOOK_WORKERS: '8' };

let db: TestDatabase;
let bus: KafkaBus;
let receiver: Receiver;
const replicas: RunningService[] = [];

beforeAll(async () => {
  db = await createTestDatabase('webhooks_replicas');
  const prefix = uniqueTopicPrefix('webhooks-replicas');
  receiver = await Receiver.start(() => ({ status: 200, delayMs: 5 }));
  replicas.push(await startWebhookService({ databaseUrl: db.url, topicPrefix: prefix, env, label: 'webhooks-replica-a' }));
  replicas.push(await startWebhookService({ databaseUrl: db.url, topicPrefix: prefix, env, label: 'webhooks-replica-b' }));
  bus = publisher(prefix);
});

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop()));
  await bus?.close();
  await receiver?.close();
  await db?.drop();
});

describe('two webhook-delivery replicas', () => {
  it('deliver 1,000 events once each, sharing the work', async () => {
    await replicas[0].client.createEndpoint({ user_id: 'replica_user', url: receiver.url('/replicas'), events: ['*'] });
    const ids = Array.from({ length: EVENTS }, (_, i) => `evt_rep_${i}`);
    for (let i = 0; i < EVENTS; i += 100) {
      await bus.publish(ids.slice(i, i + 100).map((id, j) => predictionEvent(id, `SYM${(i + j) % 11}`)));
    }
    await waitFor(() => receiver.countsById().size === EVENTS, { timeoutMs: 120_000, what: `all ${EVENTS} events at the receiver` });
    await new Promise((r) => setTimeout(r, 1000));

    const twice = [...receiver.countsById()].filter(([, n]) => n > 1);
    expect(twice).toEqual([]);
    expect(receiver.requests).toHaveLength(EVENTS);

    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      const { rows } = await c.query<{ worker_id: string; n: string }>(
        `SELECT worker_id, count(*) AS n FROM webhook_delivery.delivery_attempts GROUP BY worker_id`,
      );
      console.log(JSON.stringify({ attempts_by_replica: Object.fromEntries(rows.map((r) => [r.worker_id, Number(r.n)])) }));
      expect(rows).toHaveLength(2);
      expect(rows.reduce((sum, r) => sum + Number(r.n), 0)).toBe(EVENTS);
      for (const r of rows) expect(Number(r.n)).toBeGreaterThan(0);
    } finally {
      await c.end();
    }
  }, 180_000);
});
