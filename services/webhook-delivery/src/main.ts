import { runService } from '@marketpulse/runtime';
import { loadConfig } from './config';
import { startWebhookDelivery } from './service';

// Standalone process: node --require @marketpulse/runtime/dist/telemetry/register.js services/webhook-delivery/dist/main.js
runService({
  service: 'webhook-delivery',
  loadConfig: () => loadConfig(),
  start: (config, logger) => startWebhookDelivery(config, { logger }),
  ready: (handle) => ({ grpc_port: handle.grpcPort }),
});
