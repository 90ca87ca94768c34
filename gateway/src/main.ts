import { runService } from '@marketpulse/runtime';
import { loadGatewayConfig } from './config';
import { startGateway } from './service';

// Standalone process: node --require @marketpulse/runtime/dist/telemetry/register.js gateway/dist/main.js
// The gateway serves /metrics on its own HTTP port, so its config has no METRICS_PORT and no metrics server starts.
runService({
  service: 'gateway',
  loadConfig: () => loadGatewayConfig(),
  start: (config, logger) => startGateway(config, { logger }),
  ready: (gateway) => ({ http_port: gateway.port, native_port: gateway.nativePort ?? null, instance_id: gateway.instanceId }),
});
