import { runService } from '@marketpulse/runtime';
import { loadConfig } from './config';
import { startAlerting } from './service';

// Standalone process: node --require @marketpulse/runtime/dist/telemetry/register.js services/alerting/dist/main.js
runService({
  service: 'alerting',
  loadConfig: () => loadConfig(),
  start: (config, logger) => startAlerting(config, { logger }),
  ready: (handle) => ({ grpc_port: handle.grpcPort }),
});
