import { createLogger } from '@marketpulse/runtime';
import { loadWebhookConfig } from './config';
import { startWebhookDelivery } from './service';

async function main(): Promise<void> {
  const config = loadWebhookConfig();
  const logger = createLogger(config.SERVICE_NAME, {}, { level: config.LOG_LEVEL });
  const handle = await startWebhookDelivery(config, { logger });
  logger.info({ grpc_port: handle.port }, 'ready');
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    handle.close().then(
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
  // Config errors and start-up failures: one JSON line an operator can act on, then exit.
  process.stderr.write(`${JSON.stringify({ level: 'fatal', service: 'webhook-delivery', msg: err instanceof Error ? err.message : String(err) })}\n`);
  process.exit(1);
});
