import { runService } from '@marketpulse/runtime';
import { loadConfig } from './config';
import { startPrediction } from './service';

// Standalone process: node --require @marketpulse/runtime/dist/telemetry/register.js services/prediction/dist/main.js
runService({
  service: 'prediction',
  loadConfig: () => loadConfig(),
  start: (config, logger) => startPrediction(config, { logger }),
  ready: (handle, config) => ({ grpc_port: handle.grpcPort, bus: config.BUS, database: config.DATABASE_URL ? 'postgres' : 'pglite' }),
});
