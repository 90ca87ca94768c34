import { createLogger } from '@marketpulse/runtime';
import { loadConfig } from './config';
import { startPrediction } from './service';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.SERVICE_NAME, {}, { level: config.LOG_LEVEL });
  const service = await startPrediction(config, { logger });
  logger.info({ grpc_port: service.grpcPort, bus: config.BUS, database: config.DATABASE_URL ? 'postgres' : 'pglite' }, 'ready');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    service.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'unclean stop');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  createLogger('prediction').fatal({ err, code: (err as { code?: string }).code }, 'prediction service failed to start');
  process.exit(1);
});
