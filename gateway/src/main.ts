import { CHECK_CONFIG_FLAG, ConfigError, createLogger, redactConfig, reportConfigCheck } from '@marketpulse/runtime';
import { loadGatewayConfig } from './config';
import { startGateway } from './service';

/** Standalone gateway process: `node --require @marketpulse/runtime/dist/telemetry/register.js gateway/dist/main.js`. */
async function main(): Promise<void> {
  let config;
  const checkOnly = process.argv.includes(CHECK_CONFIG_FLAG);
  try {
    config = loadGatewayConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      if (checkOnly) reportConfigCheck('gateway', { error: err });
      createLogger('gateway').fatal({ code: err.code, problems: err.problems }, err.message);
      process.exit(2);
    }
    throw err;
  }
  if (checkOnly) reportConfigCheck('gateway', { config });
  const logger = createLogger(config.SERVICE_NAME, {}, { level: config.LOG_LEVEL });
  logger.info({ event: 'config.effective', config: redactConfig(config) }, 'starting with this configuration');
  const gateway = await startGateway(config, { logger });
  logger.info({ http_port: gateway.port, native_port: gateway.nativePort ?? null, instance_id: gateway.instanceId }, 'ready');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    gateway.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'unclean stop');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  createLogger('gateway').fatal({ err }, 'gateway failed to start');
  process.exit(1);
});
