import { runService } from '@marketpulse/runtime';
import { loadConfig } from './config';
import { startMarketData } from './service';

// Standalone process: node --require @marketpulse/runtime/dist/telemetry/register.js services/market-data/dist/main.js
runService({
  service: 'market-data',
  loadConfig: () => loadConfig(),
  start: (config, logger) => startMarketData(config, { logger }),
  ready: (handle) => ({ grpc_port: handle.grpcPort, provider: handle.provider.name }),
});
