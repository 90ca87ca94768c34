import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { createLogger, KafkaBus, type DeliveredEvent } from '@marketpulse/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { kafkaBrokers, REPO_ROOT, testKafkaBus, tickEvent, uniqueTopicPrefix, waitFor } from '../harness';
import { deadLetters, encoded, produceRaw } from './poison.kit';

// The runtime's consumer loop on the real broker: what is and is not dead-lettered, and the
// dead-letters CLI (services/runtime/dist/cli/dead-letters.js; build first) listing and
// re-publishing a dead letter to its source topic.

const logger = createLogger('runtime-dead-letters', {}, { level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const run = promisify(execFile);
const CLI = path.join(REPO_ROOT, 'services/runtime/dist/cli/dead-letters.js');

const opened: KafkaBus[] = [];
function openBus(prefix: string): KafkaBus {
  const bus = testKafkaBus(prefix, {
    clientId: 'runtime-dead-letters',
    logger,
    handlerRetry: { maxAttempts: 3, backoffBaseMs: 20, backoffMaxMs: 100 },
  });
  opened.push(bus);
  return bus;
}
afterEach(async () => {
  await Promise.all(opened.splice(0).map((b) => b.close()));
});

const tick = (id: string) => tickEvent({ id, price: 1 });

const connectionRefused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

describe('KafkaBus dead letters (real broker)', () => {
  it('never dead-letters a record while its dependency is away, however long that lasts', async () => {
    const prefix = uniqueTopicPrefix('dl-outage');
    const bus = openBus(prefix);
    const attempts = new Map<string, number>();
    const handled: string[] = [];
    await bus.subscribe({
      groupId: 'g',
      types: ['market_data_update'],
      handler: async ({ event }: DeliveredEvent) => {
        const n = (attempts.get(event.id) ?? 0) + 1;
        attempts.set(event.id, n);
        // The database is away for three times the attempts a poison record gets.
        if (event.id === 'during-outage' && n <= 9) throw connectionRefused();
        handled.push(event.id);
      },
    });
    await bus.publish([tick('during-outage'), tick('after')]);
    await waitFor(() => handled.includes('after'), { timeoutMs: 60_000, what: 'both events handled' });
    expect(handled).toEqual(['during-outage', 'after']);
    expect(attempts.get('during-outage')).toBe(10);
    expect(await deadLetters(prefix)).toEqual([]);
  }, 90_000);

  it('dead-letters a record failing for no known reason only while the dependencies report healthy', async () => {
    const prefix = uniqueTopicPrefix('dl-health');
    const bus = openBus(prefix);
    let healthy = false;
    let attempts = 0;
    const handled: string[] = [];
    await bus.subscribe({
      groupId: 'g',
      types: ['market_data_update'],
      healthy: async () => healthy,
      handler: async ({ event }) => {
        if (event.id === 'odd') {
          attempts += 1;
          throw new Error('something no classifier knows');
        }
        handled.push(event.id);
      },
    });
    await bus.publish([tick('odd'), tick('next')]);
    await waitFor(() => attempts >= 8, { timeoutMs: 60_000, what: 'retries past the policy while unhealthy' });
    expect(handled).toEqual([]);
    expect(await deadLetters(prefix)).toEqual([]);
    healthy = true;
    await waitFor(() => handled.includes('next'), { timeoutMs: 60_000, what: 'the next event once the odd one is set aside' });
    const [letter] = await deadLetters(prefix);
    expect(letter).toMatchObject({
      failure: { reason: 'HANDLER_FAILED' },
      event: { id: 'odd' },
      source: { topic: `${prefix}market_data_update` },
    });
  }, 90_000);

  it('lists dead letters and re-publishes the original record to its source topic (CLI)', async () => {
    const prefix = uniqueTopicPrefix('dl-cli');
    const bus = openBus(prefix);
    let fixed = false;
    const received: DeliveredEvent[] = [];
    await bus.subscribe({
      groupId: 'g',
      types: ['market_data_update'],
      handler: async (d) => {
        if (d.event.id === 'needs-fix' && !fixed)
          throw Object.assign(new Error('value too long for type character varying(8)'), { code: '22001' });
        received.push(d);
      },
    });
    const poison = encoded(tick('needs-fix'));
    await produceRaw(prefix, 'market_data_update', [{ ...poison, headers: { ...poison.headers, 'x-origin': 'trading-engine' } }]);
    await waitFor(async () => (await deadLetters(prefix)).length === 1, { timeoutMs: 60_000, intervalMs: 1000, what: 'the dead letter' });

    const env = { ...process.env, KAFKA_BROKERS: kafkaBrokers(), KAFKA_TOPIC_PREFIX: prefix };
    const listed = await run(process.execPath, [CLI, 'list', '--topic', 'market_data_update', '--since', '1h'], { env });
    const lines = listed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      source: { topic: `${prefix}market_data_update`, partition: 0, offset: '0' },
      group: `${prefix}g`,
      reason: 'DATABASE_REFUSED_RECORD',
      attempts: 3,
      event: { id: 'needs-fix', type: 'market_data_update', subject: 'AAPL' },
      headers: { 'x-origin': 'trading-engine', 'event-id': 'needs-fix' },
    });
    // A filter that matches nothing lists nothing.
    expect((await run(process.execPath, [CLI, 'list', '--topic', 'system_error'], { env })).stdout.trim()).toBe('');

    fixed = true;
    const republished = await run(process.execPath, [CLI, 'republish', '--position', String(lines[0].position)], { env });
    expect(republished.stderr).toContain('re-published 1 dead letter(s)');
    await waitFor(() => received.some((d) => d.event.id === 'needs-fix'), { timeoutMs: 60_000, what: 'the re-published record handled' });
    const again = received.find((d) => d.event.id === 'needs-fix')!;
    expect(again.topic).toBe(`${prefix}market_data_update`);
    expect(again.offset).toBe('1');

    // Usage errors exit 2 with a message.
    await expect(run(process.execPath, [CLI, 'list', '--since', 'yesterday'], { env })).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--since'),
    });
  }, 120_000);
});
