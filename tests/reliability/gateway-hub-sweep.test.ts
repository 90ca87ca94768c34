import { createBus, createLogger, type Bus } from '@marketpulse/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { loadGatewayConfig, startGateway, type GatewayHandle } from '@marketpulse/gateway';
import { kafkaBrokers, uniqueTopicPrefix, waitFor } from '../harness';
import { connectClient, type RecordingClient } from '../e2e/gateway_ws_client';
import { tick } from './gateway-resume.kit';

// Issue "stream leftovers" (engineer S), finding 3, end to end: a foreign producer writes ticks of
// made-up but valid symbols (ZZZ0, ZZZ1, …) to the bus the gateway consumes. Each used to leave a
// hub channel with its history for ever; now at most WS_HUB_MAX_IDLE_CHANNELS channels without a
// subscriber stay. A client resuming on a dropped channel still gets exactly what it missed, from
// Kafka (BUS=kafka); on the in-memory bus, where nothing can be read back, it is told so
// (CANNOT_RECOVER) instead of silently missing events.

const logger = createLogger('gateway-hub-sweep', {}, { level: 'silent' });
const MAX_IDLE = 20;
const SYMBOLS = Array.from({ length: 300 }, (_, i) => `ZZZ${i}`);
const opened: { gateway: GatewayHandle; buses: Bus[]; clients: RecordingClient[] }[] = [];

afterEach(async () => {
  for (const { gateway, buses, clients } of opened.splice(0)) {
    for (const c of clients) c.close();
    await gateway.close();
    await Promise.all(buses.map((b) => b.close()));
  }
});

async function start(bus: 'memory' | 'kafka') {
  const env = {
    BUS: bus,
    KAFKA_BROKERS: kafkaBrokers(),
    KAFKA_TOPIC_PREFIX: uniqueTopicPrefix('hub-sweep'),
    KAFKA_PARTITIONS: '3',
    GATEWAY_PORT: '0',
    PUBLISH_GRPC_PORT: '0',
    LOG_LEVEL: 'silent',
    // No market-data service here: its symbol list must not close the made-up symbols' doors.
    WS_CLOSE_UNKNOWN_SYMBOLS: 'false',
    WS_HUB_MAX_IDLE_CHANNELS: String(MAX_IDLE),
  };
  const config = loadGatewayConfig(env);
  const consumed = createBus(config, logger);
  // The producer: the gateway's own bus in memory, a client of the broker of its own on Kafka.
  const producer = bus === 'memory' ? consumed : createBus(config, logger);
  if (bus === 'kafka') await producer.publish([tick(0, 'WARM')]); // the topics exist before the gateway reads them
  const gateway = await startGateway(config, {
    bus: consumed,
    logger,
    api: false,
    getPrediction: () => Promise.reject(new Error('unused')),
  });
  const run = { gateway, buses: bus === 'memory' ? [consumed] : [consumed, producer], clients: [] as RecordingClient[] };
  opened.push(run);
  await waitFor(
    async () => {
      const health = (await (await fetch(`http://127.0.0.1:${gateway.port}/health`)).json()) as {
        components?: Record<string, { status: string }>;
      };
      return health.components?.event_consumer?.status === 'healthy' || undefined;
    },
    { timeoutMs: 60_000, what: 'the event consumer to be positioned' },
  );
  const published = gateway.hub.stats().publications;
  /** Ticks 1 and 2 of every made-up symbol; resolves once the hub has handled them all. */
  const flood = async () => {
    const batch = SYMBOLS.flatMap((symbol) => [tick(1, symbol), tick(2, symbol)]);
    await producer.publish(batch);
    await waitFor(() => gateway.hub.stats().publications >= published + batch.length || undefined, {
      timeoutMs: 60_000,
      what: `the gateway to handle ${batch.length} ticks (has ${gateway.hub.stats().publications - published})`,
    });
    return batch;
  };
  const door = (symbol: string, since: string) => {
    const c = connectClient(`ws://127.0.0.1:${gateway.port}/ws/market-data/${symbol}?since=${encodeURIComponent(since)}`);
    run.clients.push(c);
    return c;
  };
  return { gateway, producer, flood, door };
}

const prices = (c: RecordingClient) => c.all('market_data_update').map((m) => m.data.price as number);

describe('hub channels of made-up symbols', () => {
  it('BUS=kafka: stay bounded, and a client of a dropped channel resumes from Kafka with every event once, in order', async () => {
    const { gateway, producer, flood, door } = await start('kafka');
    const batch = await flood();
    // Every channel here is without a subscriber: the bound holds them all.
    expect(gateway.hub.stats().channels).toBeLessThanOrEqual(MAX_IDLE);
    // ZZZ5 was published long before the last ones: its channel and history are gone from memory.
    expect(gateway.hub.newestId(['market-data:ZZZ5'], undefined)).toBeUndefined();
    const since = batch.find((e) => e.subject === 'ZZZ5' && e.payload?.$case === 'market_data_update')!.id;
    const client = door('ZZZ5', since);
    await client.next('connected');
    await producer.publish([tick(3, 'ZZZ5')]);
    await waitFor(() => prices(client).length >= 2 || undefined, {
      timeoutMs: 30_000,
      what: `ZZZ5's ticks 2 and 3 (have ${prices(client)})`,
    });
    await new Promise((r) => setTimeout(r, 200)); // anything twice would be on its way by now
    expect(prices(client)).toEqual([2, 3]);
    expect(client.all('error')).toEqual([]);
  }, 120_000);

  it('BUS=memory: stay bounded, and a client of a dropped channel is told it cannot be recovered, then gets live events', async () => {
    const { gateway, producer, flood, door } = await start('memory');
    const batch = await flood();
    expect(gateway.hub.stats().channels).toBeLessThanOrEqual(MAX_IDLE);
    const dropped = batch.find((e) => e.subject === 'ZZZ5')!.id;
    const lost = door('ZZZ5', dropped);
    expect(await lost.next('error')).toMatchObject({ code: 'CANNOT_RECOVER' });
    // A channel still held resumes from memory as before.
    const kept = batch.filter((e) => e.subject === 'ZZZ299');
    const held = door('ZZZ299', kept[0]!.id);
    await held.next('connected');
    await producer.publish([tick(3, 'ZZZ5'), tick(3, 'ZZZ299')]);
    await waitFor(() => (prices(lost).length >= 1 && prices(held).length >= 2) || undefined, { timeoutMs: 30_000, what: 'the live ticks' });
    expect(prices(lost)).toEqual([3]);
    expect(prices(held)).toEqual([2, 3]);
    expect(held.all('error')).toEqual([]);
  }, 120_000);
});
