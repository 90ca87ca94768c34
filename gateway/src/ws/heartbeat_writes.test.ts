import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { Connection, type ConnectionShared } from './connection';
import { newCounters } from './counters';
import type { Door } from './doors/door';
import { marketDataDoor } from './doors/market_data';
import { jsonFrame } from './encode';
import { currentBeat, Heartbeat } from './heartbeat';
import { Hub } from './hub';

// Real connections over loopback sockets, pinged by a real heartbeat: what one beat costs each
// server socket in writes (each _write or _writev is one system call), and what each client gets.

const QUEUE_BYTES = 1 << 20;
const shared: ConnectionShared = {
  hub: new Hub(16),
  counters: newCounters(),
  sendQueueBytes: QUEUE_BYTES,
  replayPacing: { ratePerSecond: 1000, chunk: 100, queueLimitBytes: QUEUE_BYTES, stallMs: 60_000 },
  onClosed: () => {},
};
const withoutAppPing: Door = { ...marketDataDoor, appPing: false };

interface Client {
  conn: Connection;
  /** Writes to the server socket since the count was reset. */
  writes: { count: number };
  /** What the client received, in order: 'protocol ping' or the message's type (and `n` of data). */
  seen: string[];
  /** Resolves once the client received `last`. */
  received(last: string): Promise<void>;
}

const cleanUp: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanUp.splice(0).reverse()) fn();
});

function countWrites(socket: Duplex): { count: number } {
  const writes = { count: 0 };
  const write = socket._write.bind(socket);
  socket._write = (chunk, encoding, cb) => {
    writes.count++;
    write(chunk, encoding, cb);
  };
  const writev = socket._writev?.bind(socket);
  if (writev)
    socket._writev = (chunks, cb) => {
      writes.count++;
      writev(chunks, cb);
    };
  return writes;
}

/** A loopback server whose upgrades become connections on the door the path names. */
async function server(): Promise<(path: '/app-ping' | '/protocol-ping-only') => Promise<Client>> {
  const http = createServer();
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  let accepted: ((c: Pick<Client, 'conn' | 'writes'>) => void) | undefined;
  http.on('upgrade', (req, socket: Duplex, head: Buffer) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      const door = req.url === '/app-ping' ? marketDataDoor : withoutAppPing;
      const conn = new Connection(`c${Math.random()}`, door, ws, socket, shared, currentBeat(), '127.0.0.1');
      accepted?.({ conn, writes: countWrites(socket) });
    });
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  cleanUp.push(() => {
    wss.close();
    http.close();
  });
  const { port } = http.address() as AddressInfo;
  return async (path) => {
    const serverSide = new Promise<Pick<Client, 'conn' | 'writes'>>((resolve) => (accepted = resolve));
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { perMessageDeflate: false });
    cleanUp.push(() => ws.terminate());
    const seen: string[] = [];
    ws.on('ping', () => seen.push('protocol ping'));
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as { type: string; n?: number };
      seen.push(msg.n === undefined ? msg.type : `${msg.type} ${msg.n}`);
    });
    const received = (last: string) =>
      new Promise<void>((resolve) => {
        const check = () => seen.includes(last) && resolve();
        ws.on('ping', check);
        ws.on('message', check);
        check();
      });
    await once(ws, 'open');
    return { ...(await serverSide), seen, received };
  };
}

describe('Heartbeat over real sockets', () => {
  it('costs each connection one write per beat, the protocol ping then the app ping, after the frames queued before it', async () => {
    const connect = await server();
    const clients: Client[] = [];
    for (const path of ['/app-ping', '/app-ping', '/app-ping', '/protocol-ping-only'] as const) clients.push(await connect(path));
    const [oneQueued, twoQueued, idle, pingOnly] = clients as [Client, Client, Client, Client];
    for (const c of clients) c.writes.count = 0;
    // Data queued in the same turn as the beat, still waiting for the end of the burst when it starts.
    oneQueued.conn.deliver(jsonFrame({ type: 'data', n: 1 }));
    twoQueued.conn.deliver(jsonFrame({ type: 'data', n: 1 }));
    twoQueued.conn.deliver(jsonFrame({ type: 'data', n: 2 }));
    const heartbeat = new Heartbeat(() => clients.map((c) => c.conn), 3_600_000, 3_600_000);
    heartbeat.beat();
    heartbeat.stop();
    await Promise.all([oneQueued, twoQueued, idle].map((c) => c.received('ping')).concat(pingOnly.received('protocol ping')));

    expect(clients.map((c) => c.writes.count)).toEqual([1, 1, 1, 1]);
    expect(oneQueued.seen).toEqual(['data 1', 'protocol ping', 'ping']);
    expect(twoQueued.seen).toEqual(['data 1', 'data 2', 'protocol ping', 'ping']);
    expect(idle.seen).toEqual(['protocol ping', 'ping']);
    expect(pingOnly.seen).toEqual(['protocol ping']);
  });
});
