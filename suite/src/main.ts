// One-process quick start: every service and the gateway in this process, on the embedded
// defaults (in-process bus, PGlite under PGLITE_DIR, the simulated feed). The services still talk
// to each other over gRPC on loopback, exactly as they do when each runs as its own process.
import {
  CHECK_CONFIG_FLAG,
  ConfigError,
  createLogger,
  flushTelemetry,
  grpcHealthProbe,
  HealthMonitor,
  loadAllConfigs,
  loadConfig,
  redactConfig,
  reportConfigCheck,
  runAsService,
  setEventLoopSampleMs,
  startMetricsServer,
} from '@marketpulse/runtime';
import { startMarketData, loadConfig as loadMarketDataConfig } from '@marketpulse/market-data';
import { startPrediction, loadConfig as loadPredictionConfig } from '@marketpulse/prediction';
import { startAlerting, loadConfig as loadAlertingConfig } from '@marketpulse/alerting';
import { startWebhookDelivery, loadConfig as loadWebhookConfig } from '@marketpulse/webhook-delivery';
import { startProviderMonitor, loadConfig as loadProviderMonitorConfig } from '@marketpulse/provider-monitor';
import { startGateway, loadGatewayConfig, type GatewayHandle } from '@marketpulse/gateway';
import { DEV_CREDENTIAL_SCOPES, developmentProfile, type DevelopmentProfile } from './dev_profile';
import { serviceEnvs, suitePortsSchema } from './ports';

interface Closable {
  close(): Promise<void>;
}

/**
 * Every setting of every part, validated before anything starts: all problems at once (each
 * once), exit 2. A bad suite port would make serviceEnvs throw, so the ports are checked first
 * and the services are checked against the defaults' addresses in that case.
 */
function loadSuiteConfigs() {
  let envs: ReturnType<typeof serviceEnvs>;
  let portsError: ConfigError | undefined;
  try {
    envs = serviceEnvs();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    portsError = err;
    envs = serviceEnvs(Object.fromEntries(Object.entries(process.env).filter(([k]) => !(k in suitePortsSchema.shape))));
  }
  return loadAllConfigs({
    suite: () => {
      if (portsError) throw portsError;
      return loadConfig(suitePortsSchema, process.env);
    },
    webhooks: () => loadWebhookConfig(envs.webhooks),
    alerting: () => loadAlertingConfig(envs.alerting),
    prediction: () => loadPredictionConfig(envs.prediction),
    providerMonitor: () => loadProviderMonitorConfig(envs.providerMonitor),
    gateway: () => loadGatewayConfig(envs.gateway),
    marketData: () => loadMarketDataConfig(envs.marketData),
  });
}

async function main(): Promise<void> {
  const checkOnly = process.argv.includes(CHECK_CONFIG_FLAG);
  // The first command is a development profile (GATEWAY_ENV=production opts out): its defaults fill
  // what the environment leaves unset, before any part reads its configuration.
  const dev = await developmentProfile(process.env, { checkOnly });
  for (const [name, value] of Object.entries(dev?.env ?? {})) process.env[name] = value;
  let configs: ReturnType<typeof loadSuiteConfigs>;
  try {
    configs = loadSuiteConfigs();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    if (checkOnly) reportConfigCheck('suite', { error: err });
    createLogger('suite').fatal({ code: err.code, problems: err.problems }, err.message);
    process.exit(2);
  }
  // Each part's effective settings, secrets redacted: what --check-config prints and the start-up line logs.
  const effective = {
    suite: configs.suite,
    gateway: redactConfig(configs.gateway),
    'market-data': redactConfig(configs.marketData),
    prediction: redactConfig(configs.prediction),
    alerting: redactConfig(configs.alerting),
    'webhook-delivery': redactConfig(configs.webhooks),
    'provider-monitor': redactConfig(configs.providerMonitor),
  };
  if (checkOnly) reportConfigCheck('suite', { config: effective });
  const logger = createLogger('suite', {}, { level: configs.gateway.LOG_LEVEL });
  logger.info({ event: 'config.effective', config: effective }, 'starting with this configuration');
  const started: Array<[string, Closable]> = [];
  if (dev) started.push(['development profile', dev]);
  const stop = async (code: number): Promise<void> => {
    for (const [name, handle] of started.reverse()) {
      await handle.close().catch((err: unknown) => logger.error({ err, part: name }, 'close failed'));
    }
    // Spans still buffered in the exporter would die with the process.
    await flushTelemetry();
    process.exit(code);
  };
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));

  // Start order follows the data flow, so each consumer is subscribed before its producer starts.
  let gateway: GatewayHandle | undefined;
  const steps: Array<[string, () => Promise<Closable>]> = [
    ['webhook-delivery', () => startWebhookDelivery(configs.webhooks)],
    ['alerting', () => startAlerting(configs.alerting)],
    ['prediction', () => startPrediction(configs.prediction)],
    ['gateway', async () => (gateway = await startGateway(configs.gateway))],
    ['market-data', () => startMarketData(configs.marketData)],
    // Last: its first health checks (at start) find market-data's feeds and the gateway up.
    ['provider-monitor', () => startProviderMonitor(configs.providerMonitor)],
  ];
  let metricsPort: number | undefined;
  setEventLoopSampleMs(configs.suite.METRICS_EVENT_LOOP_SAMPLE_MS);
  try {
    const metrics = await startMetricsServer({ port: configs.suite.METRICS_PORT, host: configs.suite.METRICS_HOST, logger });
    started.push(['metrics', metrics]);
    metricsPort = metrics.port;
    for (const [name, start] of steps) {
      logger.info({ part: name }, 'starting');
      // Each part's spans carry its own service.name, as if it ran as its own process.
      started.push([name, await runAsService(name, start)]);
    }
    // The process's own probes on METRICS_PORT: every service (its gRPC health) and the gateway.
    const env = serviceEnvs();
    const probes = [
      grpcHealthProbe('market-data', env.gateway.MARKET_DATA_GRPC_ADDR!),
      grpcHealthProbe('prediction', env.gateway.PREDICTION_GRPC_ADDR!),
      grpcHealthProbe('alerting', env.gateway.ALERTING_GRPC_ADDR!),
      grpcHealthProbe('webhook-delivery', env.gateway.WEBHOOK_GRPC_ADDR!),
      grpcHealthProbe('provider-monitor', env.gateway.PROVIDER_MONITOR_GRPC_ADDR!),
    ];
    const gw = gateway!;
    const monitor = new HealthMonitor({
      intervalMs: configs.gateway.HEALTH_CHECK_INTERVAL_MS,
      logger,
      components: [
        ...probes,
        {
          name: 'gateway',
          check: async () => {
            const failing = gw.health
              .snapshot()
              .components.filter((c) => !c.ok)
              .map((c) => `${c.name}: ${c.detail}`);
            return failing.length === 0 ? { ok: true, detail: 'ready' } : { ok: false, detail: failing.join('; ') };
          },
        },
      ],
    });
    started.push([
      'suite health',
      {
        close: async () => {
          monitor.stop();
          for (const p of probes) p.close();
        },
      },
    ]);
    void monitor.start();
    metrics.setHealth({ monitor, service: 'suite' });
    // The URLs are printed once they work: until its consumer is positioned the gateway refuses
    // WebSocket clients with 1013 (so no event published during the start is skipped).
    logger.info({ part: 'gateway' }, 'waiting for the gateway to position its event consumer');
    await gw.consuming;
  } catch (err) {
    logger.error({ err }, 'the suite could not start');
    await stop(1);
    return;
  }
  const gw = configs.gateway;
  const base = `http://127.0.0.1:${gw.GATEWAY_PORT}`;
  const ws = `ws://127.0.0.1:${gw.GATEWAY_PORT}`;
  logger.info({ urls: { health: `${base}/health`, docs: `${base}/docs` } }, 'suite ready');
  process.stdout.write(
    [
      '',
      'Marketpulse is running (one process, in-process bus, PGlite, simulated feed). Ctrl-C stops it.',
      `  dashboard     ${base}/`,
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
      ...(dev ? await developmentLines(dev, base) : []),
      '',
    ].join('\n'),
  );
}

/** What the development profile adds to the banner: the open reads, a credential for writes, mint-token. */
async function developmentLines(dev: DevelopmentProfile, base: string): Promise<string[]> {
  return [
    '',
    'Development profile (GATEWAY_ENV=development, loopback only; GATEWAY_ENV=production locks it):',
    `  reads         open without a credential, e.g. curl ${base}/api/status`,
    `  dev token     ${await dev.credential()}`,
    `                (scopes ${DEV_CREDENTIAL_SCOPES.join(' ')}; send as Authorization: Bearer <token>)`,
    `  more tokens   node gateway/dist/cli/mint-token.js --scopes read,webhooks:write --ttl 3600${dev.secretFile ? `   (secret: ${dev.secretFile})` : ''}`,
    '  CORS          pages on http://127.0.0.1:<port> and http://localhost:<port> may call the API',
  ];
}

void main();
