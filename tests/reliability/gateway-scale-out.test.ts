import { randomUUID } from 'node:crypto';
import { events } from '@marketpulse/proto';
import { createBus, createLogger, loadConfig, commonConfigSchema, type Bus } from '@marketpulse/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  freePort,
  kafkaBrokers,
  startProcess,
  uniqueTopicPrefix,
  waitFor,
  type ManagedProcess,
  type TestDatabase,
} from '../harness';
import { connectClient, type RecordingClient } from '../e2e/gateway_ws_client';

// Horizontal scale: two gateway processes (gateway/dist/main.js) against one Kafka topic set.
// Each consumes in its own group, so a client on either receives every event, and every event has
// the same id on both: a client whose instance dies resumes on the other with ?since=<last id>
// and gets exactly what it missed. Resume on one instance over the real bus is covered too.
// (Build first: pnpm run build.)

const logger = createLogger('gateway-scale-out', {}, { level: 'warn' });
const prefix = uniqueTopicPrefix('gateway-scale-out');
const SYMBOL = 'AAPL';

interface Instance {
  name: string;
  port: number;
  process: ManagedProcess;
}

let db: TestDatabase;
let publisher: Bus;
const instances: Instance[] = [];
const clients: RecordingClient[] = [];

async function startInstance(name: string): Promise<Instance> {
  const port = await freePort();
  const proc = startProcess(
    process.execPath,
    ['gateway/dist/main.js'],
    {
      BUS: 'kafka',
      KAFKA_BROKERS: kafkaBrokers(),
      KAFKA_TOPIC_PREFIX: prefix,
      DATABASE_URL: db.url,
      GATEWAY_PORT: String(port),
      GATEWAY_INSTANCE_ID: name,
      PUBLISH_GRPC_PORT: '0',
      LOG_LEVEL: 'info',
      // Its ticks are for a symbol no market-data lists, and whatever answers on market-data's default
      // port (another suite, a developer's running stack) must not close its doors as unknown.
      WS_CLOSE_UNKNOWN_SYMBOLS: 'false',
    },
    { label: `gateway-${name}` },
  );
  await waitFor(() => proc.output().includes('"msg":"ready"'), {
    timeoutMs: 30_000,
    what: `gateway ${name} to be ready (log: ${proc.logFile})`,
  });
  await waitFor(
    async () => {
      const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { components: Record<string, { status: string }> };
      return health.components.event_consumer?.status === 'healthy';
    },
    { timeoutMs: 30_000, what: `gateway ${name} to consume` },
  );
  return { name, port, process: proc };
}

function client(instance: Instance, query = ''): RecordingClient {
  const c = connectClient(`ws://127.0.0.1:${instance.port}/ws/market-data/${SYMBOL}${query}`);
  clients.push(c);
  return c;
}

function tick(): events.Event {
  const time = new Date().toISOString();
  return events.Event.fromPartial({
    id: randomUUID(),
    type: 'market_data_update',
    source: 'scale-out-test',
    subject: SYMBOL,
    time,
    payload: { $case: 'market_data_update', market_data_update: { symbol: SYMBOL, price: 100, volume: 1, timestamp: time } },
  });
}

async function publish(n: number): Promise<string[]> {
  const batch = Array.from({ length: n }, tick);
  await publisher.publish(batch);
  return batch.map((e) => e.id);
}

const updateIds = (c: RecordingClient) => c.all('market_data_update').map((m) => m.id as string);

beforeAll(async () => {
  db = await createTestDatabase('gateway-scale-out');
  publisher = createBus(
    loadConfig(commonConfigSchema, { BUS: 'kafka', KAFKA_BROKERS: kafkaBrokers(), KAFKA_TOPIC_PREFIX: prefix, KAFKA_PARTITIONS: '3' }),
    logger,
  );
  // Started one after the other: both migrate the same schema.
  instances.push(await startInstance('a'));
  instances.push(await startInstance('b'));
}, 120_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all(instances.map((i) => i.process.stop()));
  await publisher?.close();
  await db?.drop();
});

describe('two gateway instances on one Kafka', () => {
  it('deliver every event to clients of either instance, in order', async () => {
    const [a, b] = instances as [Instance, Instance];
    const onA = client(a);
    const onB = client(b);
    await Promise.all([onA.next('connected'), onB.next('connected')]);
    const ids = await publish(50);
    await waitFor(() => updateIds(onA).length >= 50 && updateIds(onB).length >= 50, {
      timeoutMs: 30_000,
      what: '50 ticks on both instances',
    });
    expect(updateIds(onA)).toEqual(ids);
    expect(updateIds(onB)).toEqual(ids);
    onA.close();
    onB.close();
  });

  it('a client that reconnects to the same instance with ?since= gets exactly the missed messages (real bus)', async () => {
    const b = instances[1]!;
    const first = client(b);
    await first.next('connected');
    const seen = await publish(5);
    await waitFor(() => updateIds(first).length === 5, { timeoutMs: 20_000, what: 'five ticks' });
    first.close();
    await first.closed;

    // Whether they reach the instance before or after the reconnect, they arrive once and in order.
    const missed = await publish(7);
    const resumed = client(b, `?since=${seen.at(-1)}`);
    await waitFor(() => updateIds(resumed).length >= 7, { timeoutMs: 20_000, what: 'the seven missed ticks' });
    const live = await publish(1);
    await waitFor(() => updateIds(resumed).length >= 8, { timeoutMs: 20_000, what: 'the live tick' });
    expect(updateIds(resumed)).toEqual([...missed, ...live]);
    expect(resumed.all('error')).toEqual([]);
  });

  it('a client resumes on the other instance after its own is killed and gets exactly the missed messages', async () => {
    const [a, b] = instances as [Instance, Instance];
    const onA = client(a);
    const watcherOnB = client(b);
    await Promise.all([onA.next('connected'), watcherOnB.next('connected')]);
    const seen = await publish(10);
    await waitFor(() => updateIds(onA).length === 10, { timeoutMs: 20_000, what: 'ten ticks on a' });
    const lastSeen = updateIds(onA).at(-1)!;
    expect(lastSeen).toBe(seen.at(-1));

    a.process.child.kill('SIGKILL');
    await a.process.exited;
    const closed = await onA.closed;
    expect(closed.code).toBe(1006);

    // Published while the client has no connection; instance b keeps them in its history.
    const missed = await publish(15);
    await waitFor(() => updateIds(watcherOnB).length === 25, { timeoutMs: 20_000, what: 'instance b to receive the missed ticks' });

    const resumed = client(b, `?since=${lastSeen}`);
    await waitFor(() => updateIds(resumed).length >= 15, { timeoutMs: 20_000, what: 'the fifteen missed ticks on b' });
    const live = await publish(3);
    await waitFor(() => updateIds(resumed).length >= 18, { timeoutMs: 20_000, what: 'three live ticks on b' });
    expect(updateIds(resumed)).toEqual([...missed, ...live]);
    expect(resumed.all('error')).toEqual([]);
  });
});
