import { AsyncLocalStorage } from 'node:async_hooks';

// One store per process, found through a global so the bootstrap (register.js, loaded first) and
// the runtime's index share it even if the module were loaded twice.
const KEY = Symbol.for('marketpulse.logical_service');
const globals = globalThis as unknown as Record<symbol, AsyncLocalStorage<string> | undefined>;
const store: AsyncLocalStorage<string> = (globals[KEY] ??= new AsyncLocalStorage<string>());

/**
 * Runs `fn` as logical service `name`: everything it starts (servers, timers, consumers) carries
 * the name, and the telemetry bootstrap stamps it on each span as `service.name`. The one-process
 * suite runs each service this way, so a trace shows gateway → market-data → … as separate
 * services (Zipkin's dependency view has a box each), as when each runs as its own process.
 * It is a store of its own, not the OpenTelemetry context: instrumentations reset that to the
 * incoming request's context, which would lose the name.
 */
export function runAsService<T>(name: string, fn: () => T): T {
  return store.run(name, fn);
}

/** The logical service the current code runs as, when one was set. */
export function currentLogicalService(): string | undefined {
  return store.getStore();
}

/**
 * Runs functions as the logical service current now (none: as they are). For work one service
 * registers and another's code path runs: the in-process bus delivers a subscriber's records from
 * the publisher's call, and the consumer span and handler must be the subscriber's.
 */
export function captureLogicalService(): <T>(fn: () => T) => T {
  const name = store.getStore();
  return name === undefined ? (fn) => fn() : (fn) => store.run(name, fn);
}

// gRPC services (`marketpulse.alerting.v1.AlertingService`) → the logical service that serves them.
const OWNERS_KEY = Symbol.for('marketpulse.grpc_service_owners');
const ownerGlobals = globalThis as unknown as Record<symbol, Map<string, string> | undefined>;
const grpcOwners: Map<string, string> = (ownerGlobals[OWNERS_KEY] ??= new Map<string, string>());

/**
 * Records that the current logical service serves these gRPC services. grpc-js runs a call's
 * handler from its HTTP/2 session, outside the context the server was started in, so the name has
 * to be found again from the call's method (enterGrpcServiceOwner).
 */
export function noteGrpcServiceOwner(serviceNames: readonly string[]): void {
  const name = store.getStore();
  if (name === undefined) return;
  for (const s of serviceNames) grpcOwners.set(s, name);
}

/**
 * For a gRPC server call to `fullService` (`package.Service`): runs the rest of the current
 * synchronous work, and what it starts (the handler, its queries), as the service that serves it.
 * Returns that service's name, or undefined when none was noted (a process of one service).
 */
export function enterGrpcServiceOwner(fullService: string): string | undefined {
  const owner = grpcOwners.get(fullService);
  if (owner !== undefined && store.getStore() !== owner) store.enterWith(owner);
  return owner;
}
