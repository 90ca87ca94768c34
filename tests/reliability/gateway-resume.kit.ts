import { randomUUID } from 'node:crypto';
import { events } from '@marketpulse/proto';
import { createBus, createLogger, loadConfig, commonConfigSchema, type Bus } from '@marketpulse/runtime';
import { createTestDatabase, freePort, kafkaBrokers, startProcess, waitFor, type ManagedProcess, type TestDatabase } from '../harness';

// Issue 15's rig: gateway processes (gateway/dist/main.js, build first) on the real broker, and a
// numbered sequence of ticks (price = its number) on one symbol. RESUME_TEST_GATEWAY_MAIN runs
// another build of the gateway (how the tests were checked to fail on the code before a change).

export const SYMBOL = 'RSM';
export const TYPE = 'market_data_update';

export interface Gateway {
  port: number;
  process: ManagedProcess;
}

const logger = createLogger('gateway-resume', {}, { level: 'warn' });

/** The database, buses and gateway processes of one test file; stop() ends them all. */
export class ResumeRig {
  private db: TestDatabase | undefined;
  private readonly buses: Bus[] = [];
  private readonly gateways: Gateway[] = [];

  async init(name: string): Promise<void> {
    this.db = await createTestDatabase(name);
  }

  /** Starts a gateway on the prefix's topics and waits until its event consumer is positioned (history warmed). */
  async startGateway(prefix: string, name: string, env: Record<string, string> = {}, port?: number): Promise<Gateway> {
    const p = port ?? (await freePort());
    const proc = startProcess(
      process.execPath,
      [process.env.RESUME_TEST_GATEWAY_MAIN ?? 'gateway/dist/main.js'],
      {
        BUS: 'kafka',
        KAFKA_BROKERS: kafkaBrokers(),
        KAFKA_TOPIC_PREFIX: prefix,
        KAFKA_PARTITIONS: '3',
        DATABASE_URL: this.db!.url,
        GATEWAY_PORT: String(p),
        GATEWAY_INSTANCE_ID: name,
        PUBLISH_GRPC_PORT: '0',
        LOG_LEVEL: 'info',
        // Its ticks are for a symbol no market-data lists, and whatever answers on market-data's default
        // port (another suite, a developer's running stack) must not close its doors as unknown.
        WS_CLOSE_UNKNOWN_SYMBOLS: 'false',
        ...env,
      },
      { label: `gateway-resume-${name}` },
    );
    const gateway = { port: p, process: proc };
    this.gateways.push(gateway);
    // Its readiness (/readyz) also wants the services it calls, absent here: the event consumer's
    // component is the part issue 15 gates (healthy once the history is warm and the consumer positioned).
    await waitFor(
      async () => {
        const res = await fetch(`http://127.0.0.1:${p}/health`).catch(() => undefined);
        const health = (await res?.json().catch(() => undefined)) as { components?: Record<string, { status: string }> } | undefined;
        return health?.components?.event_consumer?.status === 'healthy' || undefined;
      },
      { timeoutMs: 60_000, what: `gateway ${name} to consume (log: ${proc.logFile})` },
    );
    return gateway;
  }

  publisherFor(prefix: string): Bus {
    const bus = createBus(
      loadConfig(commonConfigSchema, { BUS: 'kafka', KAFKA_BROKERS: kafkaBrokers(), KAFKA_TOPIC_PREFIX: prefix, KAFKA_PARTITIONS: '3' }),
      logger,
    );
    this.buses.push(bus);
    return bus;
  }

  async stop(): Promise<void> {
    await Promise.all(this.gateways.map((g) => g.process.stop()));
    await Promise.all(this.buses.map((b) => b.close()));
    await this.db?.drop();
  }
}

/** Tick number `n` of `symbol` (its price is n); `owner` makes it one user's event. */
export function tick(n: number, symbol = SYMBOL, owner = ''): events.Event {
  const time = new Date().toISOString();
  return events.Event.fromPartial({
    id: randomUUID(),
    type: TYPE,
    source: 'resume-test',
    subject: symbol,
    owner,
    time,
    payload: { $case: TYPE, market_data_update: { symbol, price: n, volume: 1, timestamp: time } },
  });
}

/** Publishes ticks numbered from..to-1, in batches of at most 1,000 (with `others`, each batch also carries as many ticks of each other symbol). */
export async function publishRange(bus: Bus, from: number, to: number, others: readonly string[] = []): Promise<void> {
  for (let n = from; n < to; n += 1000) {
    const batch = Array.from({ length: Math.min(1000, to - n) }, (_, i) => tick(n + i));
    await bus.publish([...batch, ...others.flatMap((symbol) => batch.map((_, i) => tick(n + i, symbol)))]);
  }
}

export const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** Shows where a sequence breaks instead of printing 30,000 numbers. */
export function firstBreak(numbers: readonly number[], expected: readonly number[]): string {
  const i = expected.findIndex((n, k) => numbers[k] !== n);
  if (i < 0 && numbers.length === expected.length) return 'none';
  const at = i < 0 ? expected.length : i;
  return `at index ${at}: expected ${expected[at]}, got ${numbers[at]} (received ${numbers.length}, expected ${expected.length})`;
}
