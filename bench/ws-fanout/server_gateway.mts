// Our gateway, as in production but with the in-memory bus and without the API: broadcasts go into
// its hub the way its bus consumer puts them there (channels `market-data:<symbol>` and `events`),
// and out through the /ws/market-data/{symbol} door.
import { createRequire } from 'node:module';
import { answerServerCommands, benchTick, type ServerReply } from './protocol.mts';

const require = createRequire(import.meta.url);
const { startGateway, loadGatewayConfig } = require('@marketpulse/gateway');
const { createLogger } = require('@marketpulse/runtime');

const send = (m: ServerReply) => process.send!(m);
const config = loadGatewayConfig({
  BUS: 'memory',
  GATEWAY_PORT: '0',
  LOG_LEVEL: 'warn',
  WS_MAX_CONNECTIONS: '100000',
  // Every load-generator client comes from loopback.
  WS_MAX_CONNECTIONS_PER_ADDRESS: '100000',
  WS_DEFLATE: 'false',
  PREDICTION_GRPC_ADDR: '127.0.0.1:1',
});
const gateway = await startGateway(config, {
  logger: createLogger('bench-gateway', {}, { level: 'warn' }),
  getPrediction: async () => ({ id: 'unused' }),
  api: false,
});

function broadcast(symbol: string, n: number, payloadBytes: number, dueNs: bigint): void {
  gateway.hub.publish([`market-data:${symbol}`, 'events'], {
    id: `b${n}-${symbol}`,
    type: 'market_data_update',
    source: 'bench',
    subject: symbol,
    owner: '',
    time: new Date().toISOString(),
    traceId: '',
    data: benchTick(symbol, n, payloadBytes, dueNs),
  });
}

answerServerCommands(broadcast);

send({ cmd: 'ready', urlPrefix: `ws://127.0.0.1:${gateway.port}/ws/market-data/BENCH` });
