// Shared by the provider-monitor end-to-end suites: the service in-process over the run's real
// Kafka and PostgreSQL, a local HTTP provider whose behaviour a test switches, and an event reader.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { events, providers } from '@marketpulse/proto';
import { createBus, createLogger, type Bus } from '@marketpulse/runtime';
import { loadProviderMonitorConfig, startProviderMonitor, type ProviderMonitorHandle } from '@marketpulse/provider-monitor';
import { createTestDatabase, kafkaBrokers, uniqueTopicPrefix, type TestDatabase } from '../harness';

export const MONITOR_EVENT_TYPES = ['provider_status_change', 'rate_limit_alert', 'status_update', 'system_log'];

export interface MonitorSlice {
  prefix: string;
  db: TestDatabase;
  bus: Bus;
  /** Events the service published, with the time they were read. */
  emitted: { event: events.Event; at: number }[];
}

export async function newMonitorSlice(label: string): Promise<MonitorSlice> {
  const prefix = uniqueTopicPrefix(label);
  const db = await createTestDatabase(label);
  const bus = createBus(
    { BUS: 'kafka', KAFKA_BROKERS: kafkaBrokers(), KAFKA_TOPIC_PREFIX: prefix, KAFKA_PARTITIONS: 3, SERVICE_NAME: `${label}-test` },
    createLogger(`${label}-test`, {}, { level: 'warn' }),
  );
  const emitted: MonitorSlice['emitted'] = [];
  await bus.subscribe({
    groupId: `${prefix}observer`,
    types: MONITOR_EVENT_TYPES,
    handler: async (d) => void emitted.push({ event: d.event, at: Date.now() }),
  });
  return { prefix, db, bus, emitted };
}

export function startMonitorOn(slice: MonitorSlice, env: Record<string, string> = {}): Promise<ProviderMonitorHandle> {
  const config = loadProviderMonitorConfig({
    BUS: 'kafka',
    KAFKA_BROKERS: kafkaBrokers(),
    KAFKA_TOPIC_PREFIX: slice.prefix,
    DATABASE_URL: slice.db.url,
    GRPC_PORT: '0',
    LOG_LEVEL: 'warn',
    MARKET_DATA_GRPC_ADDR: '',
    ALERTING_GRPC_ADDR: '',
    ...env,
  });
  return startProviderMonitor(config, { logger: createLogger('provider-monitor-e2e', {}, { level: 'warn' }) });
}

export type ProviderMode = 'fast' | 'slow' | 'fail';

/** A real HTTP server on 127.0.0.1 playing an upstream provider. */
export interface FakeProvider {
  url: string;
  mode: ProviderMode;
  requests: number;
  close(): Promise<void>;
}

export async function fakeProvider(slowMs = 300): Promise<FakeProvider> {
  const fake = { url: '', mode: 'fast' as ProviderMode, requests: 0, close: async () => {} };
  const server: Server = createServer((_req, res) => {
    fake.requests++;
    if (fake.mode === 'fail') {
      res.statusCode = 503;
      return void res.end('{"error":"maintenance"}');
    }
    setTimeout(() => res.end('[{"price":1},{"price":2}]'), fake.mode === 'slow' ? slowMs : 0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
  fake.close = () => new Promise((resolve) => server.close(() => resolve()));
  return fake;
}

export function monitorClient(port: number): providers.ProviderMonitorServiceClient {
  return new providers.ProviderMonitorServiceClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}

export function unary<Res>(start: (callback: (err: grpc.ServiceError | null, res: Res) => void) => unknown): Promise<Res> {
  return new Promise((resolve, reject) => start((err, res) => (err ? reject(err) : resolve(res))));
}

export function payloads<C extends NonNullable<events.Event['payload']>['$case']>(slice: MonitorSlice, c: C) {
  return slice.emitted.flatMap(({ event, at }) =>
    event.payload?.$case === c ? [{ ...(event.payload as Extract<NonNullable<events.Event['payload']>, { $case: C }>), at }] : [],
  );
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
