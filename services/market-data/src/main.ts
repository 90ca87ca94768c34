import { ConfigError, createLogger } from '@marketpulse/runtime';
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
  const service = await startMarketData(config, { logger });
  logger.info({ grpcPort: service.grpcPort, provider: service.provider.name }, 'ready');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    service.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error instanceof Error ? error.message : String(error) }, 'unclean stop');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  const e = error as { code?: string; message?: string };
  process.stderr.write(JSON.stringify({ level: 'fatal', code: e.code ?? 'MARKET_DATA_START_FAILED', msg: e.message ?? String(error) }) + '\n');
  process.exit(1);
});
