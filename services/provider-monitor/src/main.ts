import { runService } from '@marketpulse/runtime';
import { loadProviderMonitorConfig } from './config';
import { startProviderMonitor } from './service';

// Standalone process: node --require @marketpulse/runtime/dist/telemetry/register.js services/provider-monitor/dist/main.js
runService({
  service: 'provider-monitor',
  loadConfig: () => loadProviderMonitorConfig(),
  start: (config, logger) => startProviderMonitor(config, { logger }),
  ready: (handle) => ({ grpc_port: handle.port }),
});
