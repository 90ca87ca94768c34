import type { Bus } from '../bus/bus';
import { createBus, type BusConfig } from '../bus/create_bus';
import type { CommonConfig } from '../config/common_config';
import type { Database } from '../db/database';
import { openDatabase } from '../db/open_database';
import { startGrpcServer, type GrpcServerHandle, type GrpcServiceRegistration } from '../grpc/server';
import type { HealthComponent } from '../health/component_health';
import { grpcHealthProbe } from '../health/grpc_health_probe';
import { HealthMonitor, type ServingStatusSink } from '../health/health_monitor';
import { createLogger, type Logger } from '../log/logger';

/** The variables a service's start-up wiring reads; every service config has them. */
export type ServiceScopeConfig = BusConfig &
  Pick<
    CommonConfig,
    | 'LOG_LEVEL'
    | 'DATABASE_URL'
    | 'DATABASE_POOL_SIZE'
    | 'DATABASE_PREPARED_STATEMENTS'
    | 'PGLITE_DIR'
    | 'GRPC_HOST'
    | 'HEALTH_CHECK_INTERVAL_MS'
  > & {
    GRPC_PORT: number;
  };

/** What a caller may lend a service (the one-process suite, tests); lent resources are never closed. */
export interface ServiceScopeDeps {
  bus?: Bus;
  /** null: this service keeps nothing in a database (the gateway's WebSocket side alone); none is opened. */
  db?: Database | null;
  logger?: Logger;
}

export type CloseStep = () => void | Promise<void>;

/**
 * What one running service holds: its logger, bus and database (created from config or borrowed
 * from deps), its gRPC server and health monitor, and the steps that undo each part it started.
 * close() runs the steps newest first, so a part stops before anything it depends on.
 */
export class ServiceScope<D extends Database | undefined = Database> {
  private readonly steps: CloseStep[] = [];
  private closing: Promise<void> | undefined;

  private constructor(
    /** Names the service in the line logged when a close step fails. */
    readonly name: string,
    private readonly config: ServiceScopeConfig,
    readonly logger: Logger,
    readonly db: D,
    readonly bus: Bus,
  ) {}

  /**
   * The database opens before the bus is created, so a database that cannot be opened leaves
   * nothing behind, and a created bus closes before a created database.
   */
  static async open(name: string, config: ServiceScopeConfig, deps?: ServiceScopeDeps & { db?: Database }): Promise<ServiceScope>;
  static async open(name: string, config: ServiceScopeConfig, deps: ServiceScopeDeps & { db: null }): Promise<ServiceScope<undefined>>;
  static async open(name: string, config: ServiceScopeConfig, deps: ServiceScopeDeps = {}): Promise<ServiceScope<Database | undefined>> {
    const logger = deps.logger ?? createLogger(config.SERVICE_NAME, {}, { level: config.LOG_LEVEL });
    const db =
      deps.db === null
        ? undefined
        : (deps.db ??
          (await openDatabase({
            service: config.SERVICE_NAME,
            url: config.DATABASE_URL,
            dataDir: config.PGLITE_DIR,
            poolSize: config.DATABASE_POOL_SIZE,
            prepare: config.DATABASE_PREPARED_STATEMENTS,
            logger,
          })));
    const bus = deps.bus ?? createBus(config, logger);
    const scope = new ServiceScope<Database | undefined>(name, config, logger, db, bus);
    if (db && !deps.db) scope.onClose(() => db.close());
    if (!deps.bus) scope.onClose(() => bus.close());
    return scope;
  }

  /** Adds a step to close(); it runs before every step added earlier. */
  onClose(step: CloseStep): void {
    this.steps.push(step);
  }

  /**
   * Starts the gRPC server on GRPC_HOST:GRPC_PORT with standard health and reflection. It reports
   * NOT_SERVING until startHealth has seen the bus and the database answer.
   */
  async serveGrpc(services: GrpcServiceRegistration[]): Promise<GrpcServerHandle> {
    const server = await startGrpcServer({
      port: this.config.GRPC_PORT,
      host: this.config.GRPC_HOST,
      services,
      initialStatus: 'NOT_SERVING',
      logger: this.logger,
    });
    this.onClose(() => server.close());
    return server;
  }

  /**
   * A service this one calls but can serve without, as a health component: its standard gRPC
   * health check, shown in /health and never counted in readiness (HealthComponent.optional).
   */
  optionalCallee(name: string, address: string): HealthComponent {
    const probe = grpcHealthProbe(name, address);
    this.onClose(() => probe.close());
    return { name: probe.name, check: probe.check, optional: true };
  }

  /**
   * Polls the bus, the database and any `extra` components every HEALTH_CHECK_INTERVAL_MS and
   * drives the server's gRPC health from them; resolves after the first round.
   */
  async startHealth(server: { health: ServingStatusSink }, extra: HealthComponent[] = []): Promise<HealthMonitor> {
    const health = new HealthMonitor({
      components: [
        { name: 'bus', check: () => this.bus.health() },
        ...(this.db ? [{ name: 'database', check: () => this.db!.health() }] : []),
        ...extra,
      ],
      intervalMs: this.config.HEALTH_CHECK_INTERVAL_MS,
      logger: this.logger,
      grpcHealth: server.health,
      service: this.name,
    });
    this.onClose(() => health.stop());
    await health.start();
    return health;
  }

  /**
   * Runs every close step, newest first. A failing step is logged and the rest still run, so one
   * stuck part cannot keep the others (and the database) open. Calling it again waits for the same run.
   */
  readonly close = (): Promise<void> =>
    (this.closing ??= (async () => {
      for (const step of this.steps.splice(0).reverse()) {
        try {
          await step();
        } catch (err) {
          this.logger.warn({ err: String(err) }, `error while stopping ${this.name}`);
        }
      }
    })());
}

/**
 * Opens a ServiceScope and runs `start` in it. When `start` throws, whatever it had started is
 * closed (newest first) and the original error is rethrown, so a failed start-up leaves no server
 * listening, no timer running and no connection open.
 */
export async function startInServiceScope<H>(
  name: string,
  config: ServiceScopeConfig,
  deps: ServiceScopeDeps & { db?: Database },
  start: (scope: ServiceScope) => Promise<H>,
): Promise<H> {
  const scope = await ServiceScope.open(name, config, deps);
  try {
    return await start(scope);
  } catch (err) {
    await scope.close();
    throw err;
  }
}
