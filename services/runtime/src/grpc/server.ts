import { noteGrpcServiceOwner } from '../telemetry/logical_service';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import type { Logger } from '../log/logger';
import { grpcServerMetricsInterceptor } from '../metrics/grpc_metrics';
import { addReflection, HEALTH_SERVICE } from './reflection';
import { refusingUndecodable } from './request_decoding';

export type { ServingStatus };

export interface GrpcServiceRegistration {
  definition: grpc.ServiceDefinition;
  implementation: grpc.UntypedServiceImplementation;
}

export interface StartGrpcServerOptions {
  port: number;
  /** Defaults to GRPC_HOST, then 127.0.0.1. */
  host?: string;
  services: GrpcServiceRegistration[];
  /** Fully-qualified names reported by grpc.health.v1; derived from the definitions when omitted. */
  serviceNames?: string[];
  /** Status of every name until a HealthMonitor says otherwise; SERVING by default. */
  initialStatus?: ServingStatus;
  /** Serve server reflection (default true), from the descriptors generated with the code. */
  reflection?: boolean;
  logger?: Logger;
  serverOptions?: grpc.ServerOptions;
}

export interface GrpcHealth {
  setStatus(service: string, status: ServingStatus): void;
  /** Sets the overall status ('') and every registered service name at once. */
  setAll(status: ServingStatus): void;
}

export interface GrpcServerHandle {
  port: number;
  server: grpc.Server;
  health: GrpcHealth;
  /** Graceful shutdown, forced after `graceMs` (default 5 s). */
  close(graceMs?: number): Promise<void>;
}

/** `marketpulse.market.v1.MarketDataService` from a method path `/marketpulse.market.v1.MarketDataService/GetQuote`. */
export function serviceNameOf(definition: grpc.ServiceDefinition): string | undefined {
  const first = Object.values(definition)[0];
  return first?.path.split('/')[1];
}

export async function startGrpcServer(opts: StartGrpcServerOptions): Promise<GrpcServerHandle> {
  const host = opts.host ?? process.env.GRPC_HOST ?? '127.0.0.1';
  const names = opts.serviceNames ?? opts.services.map((s) => serviceNameOf(s.definition)).filter((n): n is string => n !== undefined);
  const initial = opts.initialStatus ?? 'SERVING';
  noteGrpcServiceOwner(names);
  const healthImpl = new HealthImplementation(Object.fromEntries(['', ...names].map((n) => [n, initial])));

  const server = new grpc.Server({
    ...opts.serverOptions,
    interceptors: [grpcServerMetricsInterceptor(), ...(opts.serverOptions?.interceptors ?? [])],
  });
  for (const s of opts.services) server.addService(s.definition, s.implementation);
  // Health's handlers are the library's: its undecodable requests are refused as ours are (INVALID_ARGUMENT, not INTERNAL).
  healthImpl.addToServer({
    addService: (definition, implementation) => {
      const guarded = refusingUndecodable(definition as grpc.ServiceDefinition, implementation as grpc.UntypedServiceImplementation);
      server.addService(guarded.definition, guarded.implementation);
    },
  });
  // Lists only what this server hosts; answers for any type of the suite.
  if (opts.reflection !== false) addReflection(server, [...names, HEALTH_SERVICE]);

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${opts.port}`, grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(new Error(`gRPC server cannot listen on ${host}:${opts.port}: ${err.message}`)) : resolve(bound),
    );
  });
  opts.logger?.info({ host, port, services: names }, 'gRPC server listening');

  const health: GrpcHealth = {
    setStatus: (service, status) => healthImpl.setStatus(service, status),
    setAll: (status) => {
      for (const n of ['', ...names]) healthImpl.setStatus(n, status);
    },
  };

  const close = (graceMs = 5000) =>
    new Promise<void>((resolve) => {
      health.setAll('NOT_SERVING');
      const force = setTimeout(() => server.forceShutdown(), graceMs);
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });

  return { port, server, health, close };
}
