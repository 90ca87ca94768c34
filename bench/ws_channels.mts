// Shared by the benchmarks' baseline `ws` servers: the channel of a connection is its request path.
import type { WebSocket, WebSocketServer } from 'ws';

/** Clients by channel; each connection joins the one its path names (/AAPL -> AAPL) until it closes. */
export function channelsByPath(wss: WebSocketServer): Map<string, Set<WebSocket>> {
  const channels = new Map<string, Set<WebSocket>>();
  wss.on('connection', (ws, req) => {
    const channel = (req.url ?? '/').slice(1);
    let members = channels.get(channel);
    if (!members) channels.set(channel, (members = new Set()));
    members.add(ws);
    ws.on('close', () => members.delete(ws));
  });
  return channels;
}
