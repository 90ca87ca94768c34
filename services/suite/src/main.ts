// One-process quick start: every service and the gateway in this process, on the embedded
// defaults (in-process bus, PGlite under PGLITE_DIR, the simulated feed). The services still talk
// to each other over gRPC on loopback, exactly as they do when each runs as its own process.
import { createLogger, flushTelemetry, loadConfig, startMetricsServer } from '@marketpulse/runtime';
import { startMarketData, loadConfig as loadMarketDataConfig } from '@marketpulse/market-data';
import { startPrediction, loadConfig as loadPredictionConfig } from '@marketpulse/prediction';
import { startAlerting, loadAlertingConfig } from '@marketpulse/alerting';
import { startWebhookDelivery, loadWebhookConfig } from '@marketpulse/webhook-delivery';
import { startProviderMonitor, loadProviderMonitorConfig } from '@marketpulse/provider-monitor';
import { startGateway, loadGatewayConfig } from '@marketpulse/gateway';
import { serviceEnvs, suitePortsSchema } from './ports';

interface Closable { close(): Promise<void> }

async function main(): Promise<void> {
  const logger = createLogger('suite');
  const started: Array<[string, Closable]> = [];
  const stop = async (code: number): Promise<void> => {
    for (const [name, handle] of started.reverse()) {
      await handle.close().catch((err: unknown) => logger.error({ err, service: name }, 'close failed'));
    }
    // Spans still buffered in the exporter would die with the process.
    await flushTelemetry();
    process.exit(code);
  };
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));

  // Start order follows the data flow, so each consumer is subscribed before its producer starts.
  const envs = serviceEnvs();
  const steps: Array<[string, () => Promise<Closable>]> = [
    ['webhook-delivery', () => startWebhookDelivery(loadWebhookConfig(envs.webhooks))],
    ['alerting', () => startAlerting(loadAlertingConfig(envs.alerting))],
    ['prediction', () => startPrediction(loadPredictionConfig(envs.prediction))],
    ['provider-monitor', () => startProviderMonitor(loadProviderMonitorConfig(envs.providerMonitor))],
    ['gateway', () => startGateway(loadGatewayConfig(envs.gateway))],
    ['market-data', () => startMarketData(loadMarketDataConfig(envs.marketData))],
  ];
  let metricsPort: number | undefined;
  try {
    const { METRICS_PORT, METRICS_HOST } = loadConfig(suitePortsSchema, process.env);
    const metrics = await startMetricsServer({ port: METRICS_PORT, host: METRICS_HOST, logger });
    started.push(['metrics', metrics]);
    metricsPort = metrics.port;
    for (const [name, start] of steps) {
      logger.info({ service: name }, 'starting');
      started.push([name, await start()]);
    }
  } catch (err) {
    logger.error({ err }, 'the suite could not start');
    await stop(1);
    return;
  }
  const gw = loadGatewayConfig(envs.gateway);
  const base = `http://127.0.0.1:${gw.GATEWAY_PORT}`;
  const ws = `ws://127.0.0.1:${gw.GATEWAY_PORT}`;
  logger.info({ urls: { health: `${base}/health`, docs: `${base}/docs` } }, 'suite ready');
  process.stdout.write(
    [
      '',
      'Marketpulse is running (one process, in-process bus, PGlite, simulated feed). Ctrl-C stops it.',
      `  health        ${base}/health`,
      `  info          ${base}/info`,
      `  ws stats      ${base}/ws/stats`,
      ...(metricsPort === undefined ? [] : [`  metrics       http://127.0.0.1:${metricsPort}/metrics`]),
      `  API docs      ${base}/docs   (OpenAPI: ${base}/openapi.json)`,
      `  market data   ${ws}/ws/market-data/AAPL`,
      `  predictions   ${ws}/ws/predictions/AAPL`,
      `  alerts        ${ws}/ws/alerts`,
      `  monitoring    ${ws}/ws/live`,
      `  native        ${ws}/ws/stream`,
      '',
    ].join('\n'),
  );
}

void main();
