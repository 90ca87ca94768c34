import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaBus } from '@marketpulse/runtime';
import { createTestDatabase, uniqueTopicPrefix, waitFor, type TestDatabase } from '../harness';
import { predictionEvent, publisher, Receiver, startWebhookService, type RunningService } from '../e2e/webhooks-support';

// SIGKILL the service while 1,000 events are in flight, start it again: every event reaches the
// receiver, and an event arrives twice only when the response to an attempt was lost in the
// crash (the receiver saw the request, the service never recorded the attempt).

const EVENTS = 1000;
const WORKERS = 16;
const env = { WEBHOOK_WORKERS: String(WORKERS), WEBHOOK_LEASE_MS: '3000', WEBHOOK_TIMEOUT_MS: '2000' };

let db: TestDatabase;
let prefix: string;
let bus: KafkaBus;
let receiver: Receiver;
let service: RunningService | undefined;

beforeAll(async () => {
  db = await createTestDatabase('webhooks_crash');
  prefix = uniqueTopicPrefix('webhooks-crash');
  // A slow receiver keeps requests in flight at the moment of the kill.
  receiver = await Receiver.start(() => ({ status: 200, delayMs: 25 }));
  bus = publisher(prefix);
});

afterAll(async () => {
  await service?.stop();
  await bus?.close();
  await receiver?.close();
  await db?.drop();
});

describe('webhook delivery across a crash', () => {
  it('delivers every event at least once, and twice only where an attempt was lost', async () => {
    service = await startWebhookService({ databaseUrl: db.url, topicPrefix: prefix, env, label: 'webhooks-crash-1' });
    const user = 'crash_user';
    await service.client.createEndpoint({ user_id: user, url: receiver.url('/crash'), events: ['*'] });

    const ids = Array.from({ length: EVENTS }, (_, i) => `evt_crash_${i}`);
    for (let i = 0; i < EVENTS; i += 100) {
      await bus.publish(ids.slice(i, i + 100).map((id, j) => predictionEvent(id, `SYM${(i + j) % 7}`)));
    }
    await waitFor(() => receiver.countsById().size >= 200, {
      timeoutMs: 60_000,
      intervalMs: 5,
      what: '200 events received before the kill',
    });
    const killedAt = Date.now();
    service.proc.child.kill('SIGKILL');
    await service.proc.exited;
    const beforeKill = receiver.countsById().size;
    expect(beforeKill).toBeLessThan(EVENTS);

    service = await startWebhookService({ databaseUrl: db.url, topicPrefix: prefix, env, label: 'webhooks-crash-2' });
    await waitFor(() => receiver.countsById().size === EVENTS, { timeoutMs: 120_000, what: `all ${EVENTS} events at the receiver` });
    // Let any lease that was still running expire and its delivery finish.
    await waitFor(async () => (await pending(db.url)) === 0, { timeoutMs: 30_000, what: 'no delivery left pending' });

    const counts = receiver.countsById();
    expect([...counts.keys()].sort()).toEqual([...ids].sort());
    const recorded = await recordedAttempts(db.url);
    const duplicates = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
    for (const id of duplicates) {
      // Exactly one receipt more than the service recorded: the attempt in flight when it died.
      expect(counts.get(id), id).toBe(2);
      expect(recorded.get(id), id).toBe(1);
      expect(receiver.byId(id)[0].at, id).toBeLessThanOrEqual(killedAt + 50);
    }
    for (const [id, n] of counts) if (n === 1) expect(recorded.get(id), id).toBe(1);
    // At most the deliveries the dead process had in flight.
    expect(duplicates.length).toBeLessThanOrEqual(WORKERS);
    console.log(JSON.stringify({ received_before_kill: beforeKill, duplicates: duplicates.length }));
  }, 240_000);
});

async function withPg<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

function pending(url: string): Promise<number> {
  return withPg(url, async (c) =>
    Number((await c.query(`SELECT count(*) AS n FROM webhook_delivery.deliveries WHERE status IN ('pending', 'sending')`)).rows[0].n),
  );
}

/** Attempts the service recorded, per event. */
function recordedAttempts(url: string): Promise<Map<string, number>> {
  return withPg(url, async (c) => {
    const { rows } = await c.query<{ event_id: string; n: string }>(
      `SELECT d.event_id, count(a.id) AS n FROM webhook_delivery.deliveries d LEFT JOIN webhook_delivery.delivery_attempts a ON a.delivery_id = d.id GROUP BY d.event_id`,
    );
    return new Map(rows.map((r) => [r.event_id, Number(r.n)]));
  });
}
