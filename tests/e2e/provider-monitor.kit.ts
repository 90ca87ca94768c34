// Shared by the provider-monitor end-to-end suites: the service in-process over the run's real
// Kafka and PostgreSQL, a local HTTP provider whose behaviour a test switches, and an event reader.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { events, providers } from '@marketpulse/proto';
import { createLogger } from '@marketpulse/runtime';
import { loadConfig as loadProviderMonitorConfig, startProviderMonitor, type ProviderMonitorHandle } from '@marketpulse/provider-monitor';
import { sliceServiceEnv } from '../harness';
import { newEventSlice, type EventSlice } from './event_slice.kit';

export const MONITOR_EVENT_TYPES = ['provider_status_change', 'rate_limit_alert', 'status_update', 'system_log'];

export type MonitorSlice = EventSlice;

export function newMonitorSlice(label: string): Promise<MonitorSlice> {
  return newEventSlice(label, MONITOR_EVENT_TYPES);
}

/**
 * The clock the service times its HTTP probes with in these suites. Only a slow fake provider moves
 * it (by its slowMs, at once), so a measured latency is 0 or slowMs however busy the machine is.
 */
export const probeClock = { ms: 0 };

export function startMonitorOn(slice: MonitorSlice, env: Record<string, string> = {}): Promise<ProviderMonitorHandle> {
  const config = loadProviderMonitorConfig(sliceServiceEnv(slice, { MARKET_DATA_GRPC_ADDR: '', ALERTING_GRPC_ADDR: '', ...env }));
  return startProviderMonitor(config, {
    logger: createLogger('provider-monitor-e2e', {}, { level: 'warn' }),
    latencyClock: () => probeClock.ms,
  });
}

export type ProviderMode = 'fast' | 'slow' | 'fail';

/** A real HTTP server on 127.0.0.1 playing an upstream provider; slow answers take slowMs of probeClock. */
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
    if (fake.mode === 'slow') probeClock.ms += slowMs;
    res.end('[{"price":1},{"price":2}]');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
  fake.close = () => new Promise((resolve) => server.close(() => resolve()));
  return fake;
}

export function monitorClient(port: number): providers.ProviderMonitorServiceClient {
  return new providers.ProviderMonitorServiceClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}

export { unary } from '../harness';

export function payloads<C extends NonNullable<events.Event['payload']>['$case']>(slice: MonitorSlice, c: C) {
  return slice.emitted.flatMap(({ event, at }) =>
    event.payload?.$case === c ? [{ ...(event.payload as Extract<NonNullable<events.Event['payload']>, { $case: C }>), at }] : [],
  );
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
