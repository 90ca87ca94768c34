// The baseline: the minimal broadcast server people write with `ws` (stringify once, send the
// string to every client).
import { WebSocketServer, WebSocket } from 'ws';
import { benchTick, memory, publishAtRate, type ServerCommand, type ServerReply } from './protocol.mts';

const send = (m: ServerReply) => process.send!(m);
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });

function broadcast(n: number, payloadBytes: number): void {
  const message = JSON.stringify({
    type: 'market_data_update',
    symbol: 'BENCH',
    data: benchTick(n, payloadBytes),
    timestamp: new Date().toISOString(),
    id: `b${n}`,
    trace_id: '',
  });
  for (const client of wss.clients) if (client.readyState === WebSocket.OPEN) client.send(message);
}

process.on('message', async (m: ServerCommand) => {
  if (m.cmd === 'memory') send({ cmd: 'memory', ...memory() });
  if (m.cmd === 'publish') send({ cmd: 'published', ...(await publishAtRate(m.rate, m.durationMs, (n) => broadcast(n, m.payloadBytes))) });
});

wss.on('listening', () => send({ cmd: 'ready', url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}/` }));
