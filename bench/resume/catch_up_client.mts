// The resuming client, in its own process so that receiving 30,000 messages at once disturbs
// neither the publisher's timestamps nor the live clients' clocks: connects with ?since=, counts
// the missed ticks, and reports how long they took from the request.
import WebSocket from 'ws';

export type CatchUpCommand = { cmd: 'catch-up'; url: string; missed: number };
export type CatchUpReply = { cmd: 'caught-up'; ms: number; received: number } | { cmd: 'failed'; reason: string };

const send = (m: CatchUpReply) => process.send!(m);

process.on('message', (m: CatchUpCommand) => {
  const started = performance.now();
  let received = 0;
  const ws = new WebSocket(m.url);
  ws.on('message', (raw) => {
    const text = String(raw);
    if (text.includes('"CANNOT_RECOVER"')) return send({ cmd: 'failed', reason: text });
    if (!text.startsWith('{"type":"market_data_update"')) return;
    if (++received === m.missed) {
      send({ cmd: 'caught-up', ms: performance.now() - started, received });
      ws.close();
    }
  });
  ws.once('error', (err) => send({ cmd: 'failed', reason: String(err) }));
});
process.on('disconnect', () => process.exit(0));
