// The minimal `ws` broadcast server of bench/fanout: a client's channel is its request path
// (/BENCH3), and `POST /publish` with `[{channel, data}, ...]` stringifies each message once and
// sends it to every client of its channel. Prints `{"port":N}` once listening, on 127.0.0.1 only.
import { createServer } from 'node:http';
import { WebSocketServer, WebSocket } from 'ws';
import { channelsByPath } from '../ws_channels.mts';

const http = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/publish') return void res.writeHead(404).end();
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const messages = JSON.parse(Buffer.concat(chunks).toString()) as { channel: string; data: unknown }[];
    for (const { channel, data } of messages) {
      const members = channels.get(channel);
      if (!members) continue;
      const text = JSON.stringify({ channel, data });
      for (const client of members) if (client.readyState === WebSocket.OPEN) client.send(text);
    }
    res.writeHead(204).end();
  });
});
// Requests reach the handler above only once the server listens, after this line.
const channels = channelsByPath(new WebSocketServer({ server: http, perMessageDeflate: false, clientTracking: false }));
http.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () =>
  console.log(JSON.stringify({ port: (http.address() as { port: number }).port })),
);
