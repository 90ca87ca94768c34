// The baseline: the minimal broadcast server people write with `ws` (stringify once per channel,
// send the string to every client of the channel; the channel is the request path).
import { WebSocketServer, WebSocket } from 'ws';
import { channelsByPath } from '../ws_channels.mts';
import { answerServerCommands, benchTick, type ServerReply } from './protocol.mts';

const send = (m: ServerReply) => process.send!(m);
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
const channels = channelsByPath(wss);

function broadcast(symbol: string, n: number, payloadBytes: number, dueNs: bigint): void {
  const members = channels.get(symbol);
  if (!members) return;
  const message = JSON.stringify({
    type: 'market_data_update',
    symbol,
    data: benchTick(symbol, n, payloadBytes, dueNs),
    timestamp: new Date().toISOString(),
    id: `b${n}-${symbol}`,
    trace_id: '',
  });
  for (const client of members) if (client.readyState === WebSocket.OPEN) client.send(message);
}

answerServerCommands(broadcast);

wss.on('listening', () => send({ cmd: 'ready', urlPrefix: `ws://127.0.0.1:${(wss.address() as { port: number }).port}/BENCH` }));
