import { ConfigError } from '../config/config_error';
import { CHECK_CONFIG_FLAG, redactConfig, reportConfigCheck } from '../config/effective_config';
import type { HealthMonitor } from '../health/health_monitor';
import { createLogger, type Logger } from '../log/logger';
import { setEventLoopSampleMs, startMetricsServer } from '../metrics';
import { flushTelemetry } from '../telemetry';

export interface RunnableConfig {
  SERVICE_NAME: string;
  LOG_LEVEL: string;
  /** Absent: no metrics server is started. */
  METRICS_PORT?: number;
  METRICS_HOST?: string;
  METRICS_EVENT_LOOP_SAMPLE_MS?: number;
}

export interface RunServiceOptions<C extends RunnableConfig, H extends { close(): Promise<void> }> {
  /** Names the process in the fatal line written before a logger exists. */
  service: string;
  loadConfig: () => C;
  start: (config: C, logger: Logger) => Promise<H>;
  /** Fields of the "ready" line (ports and the like) that tests and operators read. */
  ready: (handle: H, config: C) => Record<string, unknown>;
  /** Fields on every line the process writes (the gateway's workers: `worker`). */
  logBindings?: Record<string, unknown>;
  /** Message of the "ready" line (default `ready`); a gateway worker says `worker ready`, its primary `ready` once all are. */
  readyMessage?: string;
  /**
   * What METRICS_PORT serves: undefined, the process registry; false, no metrics server in this
   * process (a gateway primary, whose workers share the port and answer for all of them).
   */
  metricsSource?: (config: C, logger: Logger) => { metrics(): Promise<string>; readonly contentType: string } | false | undefined;
}

/**
 * The standalone entry of every service (`dist/main.js`): validated config, a metrics server,
 * the service, one "ready" line, and a clean stop on SIGTERM/SIGINT that flushes buffered spans.
 * The metrics server starts here, not in the service's start function, because the one-process
 * suite runs every service and serves a single /metrics.
 */
export function runService<C extends RunnableConfig, H extends { close(): Promise<void>; health?: HealthMonitor }>(
  options: RunServiceOptions<C, H>,
): void {
  const fatal = (fields: Record<string, unknown>, exitCode: number): never => {
    process.stderr.write(
      `${JSON.stringify({ time: new Date().toISOString(), level: 'fatal', severity_text: 'FATAL', severity_number: 21, 'service.name': options.service, ...options.logBindings, ...fields })}\n`,
    );
    process.exit(exitCode);
  };
  const main = async () => {
    let config: C;
    const checkOnly = process.argv.includes(CHECK_CONFIG_FLAG);
    try {
      config = options.loadConfig();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      if (checkOnly) reportConfigCheck(options.service, { error: err });
      return fatal({ code: err.code, problems: err.problems, msg: err.message }, 2);
    }
    if (checkOnly) reportConfigCheck(options.service, { config: config as unknown as Record<string, unknown> });
    if (config.METRICS_EVENT_LOOP_SAMPLE_MS !== undefined) setEventLoopSampleMs(config.METRICS_EVENT_LOOP_SAMPLE_MS);
    const logger = createLogger(config.SERVICE_NAME, options.logBindings, { level: config.LOG_LEVEL });
    logger.info(
      { event: 'config.effective', config: redactConfig(config as unknown as Record<string, unknown>) },
      'starting with this configuration',
    );
    const source = options.metricsSource?.(config, logger);
    const metrics =
      config.METRICS_PORT === undefined || source === false
        ? undefined
        : await startMetricsServer({ port: config.METRICS_PORT, host: config.METRICS_HOST ?? '127.0.0.1', registry: source, logger });
    const handle = await options.start(config, logger);
    if (handle.health) metrics?.setHealth({ monitor: handle.health, service: config.SERVICE_NAME });
    logger.info({ ...options.ready(handle, config), ...(metrics ? { metrics_port: metrics.port } : {}) }, options.readyMessage ?? 'ready');
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'stopping');
      let code = 0;
      try {
        await handle.close();
        await metrics?.close();
      } catch (err: unknown) {
        logger.error({ err }, 'unclean stop');
        code = 1;
      }
      // Spans still buffered in the exporter would die with the process.
      await flushTelemetry();
      process.exit(code);
    };
    process.on('SIGTERM', () => void stop('SIGTERM'));
    process.on('SIGINT', () => void stop('SIGINT'));
  };
  main().catch((err: unknown) => {
    const e = err as { code?: unknown; message?: unknown };
    fatal({ code: typeof e.code === 'string' ? e.code : 'START_FAILED', msg: typeof e.message === 'string' ? e.message : String(err) }, 1);
  });
}
