import { ConfigError, createLogger, flushTelemetry, startMetricsServer } from '@marketpulse/runtime';
import { loadConfig } from './config';
import { startMarketData } from './service';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(JSON.stringify({ level: 'fatal', code: error.code, msg: error.message, problems: error.problems }) + '\n');
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.SERVICE_NAME, {}, { level: config.LOG_LEVEL });
  // Here, not in the start function: the one-process suite runs every service and serves one /metrics.
  const metrics = await startMetricsServer({ port: config.METRICS_PORT, host: config.METRICS_HOST, logger });
  const service = await startMarketData(config, { logger });
  logger.info({ grpcPort: service.grpcPort, metrics_port: metrics.port, provider: service.provider.name }, 'ready');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    let code = 0;
    try {
      await service.close();
      await metrics.close();
    } catch (error: unknown) {
      logger.error({ err: error instanceof Error ? error.message : String(error) }, 'unclean stop');
      code = 1;
    }
    // Spans still buffered in the exporter would die with the process.
    await flushTelemetry();
    process.exit(code);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  const e = error as { code?: string; message?: string };
  process.stderr.write(JSON.stringify({ level: 'fatal', code: e.code ?? 'MARKET_DATA_START_FAILED', msg: e.message ?? String(error) }) + '\n');
  process.exit(1);
});
