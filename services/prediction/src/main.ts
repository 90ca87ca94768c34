import { createLogger, flushTelemetry, startMetricsServer } from '@marketpulse/runtime';
import { loadConfig } from './config';
import { startPrediction } from './service';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.SERVICE_NAME, {}, { level: config.LOG_LEVEL });
  // Here, not in the start function: the one-process suite runs every service and serves one /metrics.
  const metrics = await startMetricsServer({ port: config.METRICS_PORT, host: config.METRICS_HOST, logger });
  const service = await startPrediction(config, { logger });
  logger.info({ grpc_port: service.grpcPort, metrics_port: metrics.port, bus: config.BUS, database: config.DATABASE_URL ? 'postgres' : 'pglite' }, 'ready');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    let code = 0;
    try {
      await service.close();
      await metrics.close();
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
}

main().catch((err: unknown) => {
  createLogger('prediction').fatal({ err, code: (err as { code?: string }).code }, 'prediction service failed to start');
  process.exit(1);
});
