// Our gateway, as in production but with the in-memory bus: broadcasts go into its hub the way
// its bus consumer puts them there, and out through the /ws/market-data/{symbol} door.
import { createRequire } from 'node:module';
import { benchTick, memory, publishAtRate, type ServerCommand, type ServerReply } from './protocol.mts';

const require = createRequire(import.meta.url);
const { startGateway, loadGatewayConfig } = require('../../gateway/dist/index.js');
const { createLogger } = require('../../services/runtime/dist/index.js');

const send = (m: ServerReply) => process.send!(m);
const config = loadGatewayConfig({
  BUS: 'memory',
  GATEWAY_PORT: '0',
  LOG_LEVEL: 'warn',
  WS_MAX_CONNECTIONS: '100000',
  WS_DEFLATE: 'false',
  PREDICTION_GRPC_ADDR: '127.0.0.1:1',
});
const gateway = await startGateway(config, { logger: createLogger('bench-gateway', {}, { level: 'warn' }), getPrediction: async () => ({ id: 'unused' }) });

function broadcast(n: number, payloadBytes: number): void {
  gateway.hub.publish(['market-data:BENCH', 'events'], {
    id: `b${n}`,
    type: 'market_data_update',
    source: 'bench',
    subject: 'BENCH',
    time: new Date().toISOString(),
    traceId: '',
    data: benchTick(n, payloadBytes),
  });
}

process.on('message', async (m: ServerCommand) => {
  if (m.cmd === 'memory') send({ cmd: 'memory', ...memory() });
  if (m.cmd === 'publish') send({ cmd: 'published', ...(await publishAtRate(m.rate, m.durationMs, (n) => broadcast(n, m.payloadBytes))) });
});

send({ cmd: 'ready', url: `ws://127.0.0.1:${gateway.port}/ws/market-data/BENCH` });
