import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';

/** Lines of a recorded-message fixture beside this file. */
export function fixtureMessages(name: string): string[] {
  return readFileSync(join(__dirname, 'fixtures', name), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
}

export interface ExchangeTestServer {
  url: string;
  /** Request paths of every connection, in order. */
  paths: string[];
  /** Messages clients sent, in order. */
  received: string[];
  sockets: WebSocket[];
  close(): Promise<void>;
}

/**
 * A WebSocket server on 127.0.0.1 standing in for an exchange: on each connection (after the
 * client's first message when `afterSubscribe` is set) it sends `messages` in order.
 */
export async function startExchangeTestServer(
  messages: string[],
  options: { afterSubscribe?: (first: string) => string[] } = {},
): Promise<ExchangeTestServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const server: ExchangeTestServer = {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    paths: [],
    received: [],
    sockets: [],
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of wss.clients) s.terminate();
        wss.close(() => resolve());
      }),
  };
  wss.on('connection', (socket, request) => {
    server.paths.push(request.url ?? '');
    server.sockets.push(socket);
    const play = (prefix: string[]) => {
      for (const m of [...prefix, ...messages]) socket.send(m);
    };
    if (options.afterSubscribe) {
      socket.once('message', (data) => {
        server.received.push(data.toString());
        play(options.afterSubscribe!(data.toString()));
      });
    } else {
      play([]);
    }
  });
  return server;
}

/** Polls `check` every 10 ms until it holds; throws after timeoutMs. */
export async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
