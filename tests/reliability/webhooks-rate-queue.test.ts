import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaBus } from '@marketpulse/runtime';
import { createTestDatabase, uniqueTopicPrefix, waitFor, type TestDatabase } from '../harness';
import { predictionEvent, publisher, Receiver, startWebhookService, type RunningService } from '../e2e/webhooks-support';

// An endpoint limited to 1 delivery a second that takes every event, with 32 workers on real
// PostgreSQL: its claims miss their slot together, and each puts the endpoint's due deliveries
// behind its queue. Done in each claim's own order, those statements deadlocked each other (a
// helper: 17 in a minute, and a recording rolled back with them); another user's deliveries must
// not wait behind the queue either.

const BACKLOG = 1500;

let db: TestDatabase;
let bus: KafkaBus;
let receiver: Receiver;
let service: RunningService;

async function deadlocks(): Promise<number> {
  const c = new Client({ connectionString: db.url });
  await c.connect();
  try {
    const { rows } = await c.query<{ n: string }>('SELECT deadlocks AS n FROM pg_stat_database WHERE datname = current_database()');
    return Number(rows[0]?.n ?? 0);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  db = await createTestDatabase('webhooks_rate_queue');
  const prefix = uniqueTopicPrefix('webhooks-rate-queue');
  receiver = await Receiver.start(() => 200);
  service = await startWebhookService({
    databaseUrl: db.url,
    topicPrefix: prefix,
    env: { WEBHOOK_WORKERS: '32' },
    label: 'webhooks-rate-queue',
  });
  bus = publisher(prefix);
});

afterAll(async () => {
  await service?.stop();
  await bus?.close();
  await receiver?.close();
  await db?.drop();
});

describe('a rate-limited endpoint with a backlog', () => {
  it('queues its deliveries one interval apart without deadlocks, and another user is served meanwhile', async () => {
    const before = await deadlocks();
    const limited = await service.client.createEndpoint({
      user_id: 'rita',
      url: receiver.url('/limited'),
      events: ['*'],
      subjects: ['LIM'],
      rate_limit_per_second: 1,
    });
    await service.client.createEndpoint({ user_id: 'bob', url: receiver.url('/bob'), events: ['*'], subjects: ['BOB'] });
    for (let i = 0; i < BACKLOG; i += 250) {
      await bus.publish(Array.from({ length: Math.min(250, BACKLOG - i) }, (_, j) => predictionEvent(`evt_lim_${i + j}`, 'LIM')));
    }
    await waitFor(
      async () =>
        (await service.client.listDeliveries('rita', limited.id)).length >= 500 && receiver.requests.some((r) => r.path === '/limited'),
      { timeoutMs: 60_000, what: "rita's backlog queued" },
    );
    await bus.publish([predictionEvent('evt_bob', 'BOB')]);
    await waitFor(() => receiver.requests.some((r) => r.id === 'evt_bob'), { timeoutMs: 60_000, what: "bob's delivery" });

    // Give the queue a few seconds of 1 a second, with every worker's claims missing together.
    await new Promise((r) => setTimeout(r, 3000));
    expect((await deadlocks()) - before).toBe(0);
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      const { rows } = await c.query<{ at: Date }>(
        `SELECT next_attempt_at AS at FROM webhook_delivery.deliveries WHERE endpoint_id = $1 AND status = 'pending' ORDER BY next_attempt_at`,
        [limited.id],
      );
      expect(rows.length).toBeGreaterThan(BACKLOG / 2);
      const gaps = rows.slice(1).map((r, i) => r.at.getTime() - rows[i]!.at.getTime());
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(999);
    } finally {
      await c.end();
    }
    // One a second, never a burst: at most one more than the seconds since the first.
    const times = receiver.requests.filter((r) => r.path === '/limited').map((r) => r.at);
    expect(times.length).toBeLessThanOrEqual(2 + (Math.max(...times) - Math.min(...times)) / 1000);
  }, 150_000);
});
