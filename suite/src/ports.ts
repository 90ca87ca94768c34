import { envPort, loadConfig, metricsConfigShape, type EnvSource } from '@marketpulse/runtime';
import { z } from 'zod';

// Not 0: every other service is told this address, so the port cannot be left to the system.
const port = envPort().min(1, { error: 'expected a TCP port from 1' });

/**
 * Every service reads its own port from GRPC_PORT when it runs alone; in one process they would
 * all read the same variable, so the suite takes one variable per service and hands each service
 * its own GRPC_PORT, and every client the matching *_GRPC_ADDR.
 */
export const suitePortsSchema = z.object({
  MARKET_DATA_GRPC_PORT: port.default(50051).describe('market-data gRPC port in the one-process suite.'),
  PREDICTION_GRPC_PORT: port.default(50052).describe('prediction gRPC port in the one-process suite.'),
  ALERTING_GRPC_PORT: port.default(50053).describe('alerting gRPC port in the one-process suite.'),
  WEBHOOK_GRPC_PORT: port.default(50054).describe('webhook-delivery gRPC port in the one-process suite.'),
  PROVIDER_MONITOR_GRPC_PORT: port.default(50055).describe('provider-monitor gRPC port in the one-process suite.'),
  // One process, one registry: every service's metrics on one page (also at the gateway's /metrics).
  ...metricsConfigShape(9464),
});

export type SuitePorts = z.output<typeof suitePortsSchema>;

export interface ServiceEnvs {
  marketData: EnvSource;
  prediction: EnvSource;
  alerting: EnvSource;
  webhooks: EnvSource;
  providerMonitor: EnvSource;
  gateway: EnvSource;
}

export function serviceEnvs(env: EnvSource = process.env): ServiceEnvs {
  const ports = loadConfig(suitePortsSchema, env);
  const addr = (p: number) => `127.0.0.1:${p}`;
  const shared: EnvSource = {
    ...env,
    MARKET_DATA_GRPC_ADDR: env.MARKET_DATA_GRPC_ADDR ?? addr(ports.MARKET_DATA_GRPC_PORT),
    PREDICTION_GRPC_ADDR: env.PREDICTION_GRPC_ADDR ?? addr(ports.PREDICTION_GRPC_PORT),
    ALERTING_GRPC_ADDR: env.ALERTING_GRPC_ADDR ?? addr(ports.ALERTING_GRPC_PORT),
    WEBHOOK_GRPC_ADDR: env.WEBHOOK_GRPC_ADDR ?? addr(ports.WEBHOOK_GRPC_PORT),
    PROVIDER_MONITOR_GRPC_ADDR: env.PROVIDER_MONITOR_GRPC_ADDR ?? addr(ports.PROVIDER_MONITOR_GRPC_PORT),
  };
  const withPort = (p: number): EnvSource => ({ ...shared, GRPC_PORT: String(p) });
  return {
    marketData: withPort(ports.MARKET_DATA_GRPC_PORT),
    prediction: withPort(ports.PREDICTION_GRPC_PORT),
    alerting: withPort(ports.ALERTING_GRPC_PORT),
    webhooks: withPort(ports.WEBHOOK_GRPC_PORT),
    providerMonitor: withPort(ports.PROVIDER_MONITOR_GRPC_PORT),
    gateway: shared,
  };
}
