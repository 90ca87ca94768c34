import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, portAnswers, uniqueTopicPrefix, waitFor } from '../harness';
import { runDirFor } from '../harness/config';
import { runInfraScript } from '../harness/local_servers';
import { predictionEvent, publisher, Receiver, startWebhookService, type RunningService } from '../e2e/webhooks-support';
import type { KafkaBus } from '@marketpulse/runtime';
import { deadLetters } from './poison.kit';

// Poison records are set aside; an outage is not a poison record. The delivery store's PostgreSQL
// (this test's own server) is killed with SIGKILL while events keep arriving, for far longer than
// the attempts a poison record gets (BUS_HANDLER_MAX_ATTEMPTS=2): every event still reaches the
// receiver once the database is back, and nothing is dead-lettered.

const BEFORE = 30;
const DURING = 60;

let pgPort: number;
let prefix: string;
let bus: KafkaBus;
let receiver: Receiver;
let service: RunningService | undefined;

beforeAll(async () => {
  pgPort = await freePort();
  await runInfraScript('postgres', 'start', pgPort);
  prefix = uniqueTopicPrefix('webhooks-db-outage');
  receiver = await Receiver.start(() => 200);
  bus = publisher(prefix);
  service = await startWebhookService({
    databaseUrl: `postgres://postgres@127.0.0.1:${pgPort}/postgres`,
    topicPrefix: prefix,
    env: { BUS_HANDLER_MAX_ATTEMPTS: '2', BUS_RETRY_BACKOFF_MAX_MS: '100', HEALTH_CHECK_INTERVAL_MS: '500' },
    label: 'webhooks-db-outage',
  });
  await service.client.createEndpoint({ user_id: 'outage_user', url: receiver.url('/outage'), events: ['prediction_complete'] });
}, 180_000);

afterAll(async () => {
  await service?.stop();
  await bus?.close();
  await receiver?.close();
  if (pgPort) {
    await runInfraScript('postgres', 'stop', pgPort).catch(() => undefined);
    rmSync(runDirFor('postgres', pgPort), { recursive: true, force: true });
  }
}, 90_000);

function killPostgres(): void {
  const pid = Number(readFileSync(path.join(runDirFor('postgres', pgPort), 'postgres', 'server.pid'), 'utf8').trim());
  process.kill(pid, 'SIGKILL');
}

/**
 * Starts the killed server again. Its pid files name the dead postmaster, which start.sh would take
 * for a live server (an unreaped zombie still answers kill -0) or for one that died while starting:
 * once the port is free, they go, and PostgreSQL recovers from its WAL.
 */
async function restartPostgres(): Promise<void> {
  await waitFor(async () => !(await portAnswers('127.0.0.1', pgPort, 300)), {
    timeoutMs: 30_000,
    what: 'the killed server to free its port',
  });
  const dir = path.join(runDirFor('postgres', pgPort), 'postgres');
  rmSync(path.join(dir, 'data', 'postmaster.pid'), { force: true });
  rmSync(path.join(dir, 'server.pid'), { force: true });
  await runInfraScript('postgres', 'start', pgPort);
}

describe('webhook intake while its database is killed', () => {
  it('dead-letters nothing and delivers every event once the database is back', async () => {
    const before = Array.from({ length: BEFORE }, (_, i) => `evt_before_${i}`);
    await bus.publish(before.map((id, i) => predictionEvent(id, `SYM${i % 5}`)));
    await waitFor(() => before.every((id) => receiver.byId(id).length > 0), {
      timeoutMs: 60_000,
      what: 'the events before the outage delivered',
    });

    killPostgres();
    const during = Array.from({ length: DURING }, (_, i) => `evt_during_${i}`);
    await bus.publish(during.map((id, i) => predictionEvent(id, `SYM${i % 5}`)));
    const waiting = () =>
      service!.proc
        .output()
        .split('\n')
        .filter((l) => l.includes('a dependency is unavailable')).length;
    // Many more failed runs than a poison record gets before it is set aside.
    await waitFor(() => waiting() >= 20, { timeoutMs: 60_000, what: 'intake retrying while the database is away' });

    await restartPostgres();
    await waitFor(() => during.every((id) => receiver.byId(id).length > 0), {
      timeoutMs: 120_000,
      what: 'every event published during the outage delivered',
    });
    expect(service!.proc.output()).not.toContain('event dead-lettered');
    expect(await deadLetters(prefix)).toEqual([]);
    console.log(JSON.stringify({ failed_runs_during_outage: waiting() }));
  }, 300_000);
});
