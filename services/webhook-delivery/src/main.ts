import { createLogger, flushTelemetry, startMetricsServer } from '@marketpulse/runtime';
import { loadWebhookConfig } from './config';
import { startWebhookDelivery } from './service';

async function main(): Promise<void> {
  const config = loadWebhookConfig();
  const logger = createLogger(config.SERVICE_NAME, {}, { level: config.LOG_LEVEL });
  // Here, not in the start function: the one-process suite runs every service and serves one /metrics.
  const metrics = await startMetricsServer({ port: config.METRICS_PORT, host: config.METRICS_HOST, logger });
  const handle = await startWebhookDelivery(config, { logger });
  logger.info({ grpc_port: handle.port, metrics_port: metrics.port }, 'ready');
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    let code = 0;
    try {
      await handle.close();
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
  // Config errors and start-up failures: one JSON line an operator can act on, then exit.
  process.stderr.write(`${JSON.stringify({ level: 'fatal', service: 'webhook-delivery', msg: err instanceof Error ? err.message : String(err) })}\n`);
  process.exit(1);
});
