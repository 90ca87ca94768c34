import { grpcHealthProbe, type Database, type GrpcHealthProbe, type HealthComponent } from '@marketpulse/runtime';
import type { ApiConfig } from '../api/config';

/** The five services as the gateway's readiness names them, with the setting that says where each is. */
const SERVICES = [
  ['market-data', 'MARKET_DATA_GRPC_ADDR'],
  ['prediction', 'PREDICTION_GRPC_ADDR'],
  ['alerting', 'ALERTING_GRPC_ADDR'],
  ['webhook-delivery', 'WEBHOOK_GRPC_ADDR'],
  ['provider-monitor', 'PROVIDER_MONITOR_GRPC_ADDR'],
] as const satisfies readonly (readonly [string, keyof ApiConfig])[];

export interface GatewayDependencies {
  components: HealthComponent[];
  close(): void;
}

/**
 * What the gateway needs to do its job, each a readiness check: the API's database (API keys) and
 * every service its procedures and doors call, through the services' standard gRPC health check
 * (a service that is up but has lost its own bus or database answers NOT_SERVING, and so does
 * not count as ready either). Without the API (`db` undefined: the WebSocket side alone) there
 * are none.
 */
export function gatewayDependencies(config: ApiConfig, db: Database | undefined): GatewayDependencies {
  if (!db) return { components: [], close: () => undefined };
  const probes: GrpcHealthProbe[] = SERVICES.map(([name, setting]) => grpcHealthProbe(name, config[setting]));
  return {
    components: [{ name: 'database', check: () => db.health() }, ...probes],
    close: () => {
      for (const p of probes) p.close();
    },
  };
}
