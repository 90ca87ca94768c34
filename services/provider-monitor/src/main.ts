import { runService } from '@marketpulse/runtime';
import { loadConfig } from './config';
import { startProviderMonitor } from './service';

// Standalone process: node --require @marketpulse/runtime/dist/telemetry/register.js services/provider-monitor/dist/main.js
runService({
  service: 'provider-monitor',
  loadConfig: () => loadConfig(),
  start: (config, logger) => startProviderMonitor(config, { logger }),
  ready: (handle) => ({ grpc_port: handle.grpcPort }),
});
