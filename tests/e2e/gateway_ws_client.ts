import { waitFor } from '@marketpulse/tests';
import WebSocket from 'ws';

export type WsMessage = { type: string; [key: string]: any };

/** A plain `ws` client that records every JSON message and how the connection closed. */
export interface RecordingClient {
  readonly ws: WebSocket;
  readonly messages: WsMessage[];
  readonly closed: Promise<{ code: number; reason: string }>;
  opened(): Promise<void>;
  send(message: object): void;
  /** The next message of `type` not yet taken by an earlier call (waits for it). */
  next(type: string, timeoutMs?: number): Promise<WsMessage>;
  /** Every message of `type` received so far. */
  all(type: string): WsMessage[];
  close(): void;
}

export function connectClient(url: string, options?: WebSocket.ClientOptions): RecordingClient {
  const ws = new WebSocket(url, options);
  const messages: WsMessage[] = [];
  const taken = new Set<WsMessage>();
  ws.on('message', (data) => messages.push(JSON.parse(String(data)) as WsMessage));
  ws.on('error', () => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  return {
    ws,
    messages,
    closed,
    opened: () =>
      ws.readyState === WebSocket.OPEN
        ? Promise.resolve()
        : new Promise((resolve, reject) => {
            ws.once('open', () => resolve());
            ws.once('close', (code) => reject(new Error(`closed with ${code} before opening`)));
          }),
    send: (message) => ws.send(JSON.stringify(message)),
    async next(type, timeoutMs = 10_000) {
      const found = await waitFor(() => messages.find((m) => m.type === type && !taken.has(m)), {
        what: `a "${type}" message (got: ${messages.map((m) => m.type).join(', ') || 'nothing'})`,
        timeoutMs,
        intervalMs: 20,
      });
      taken.add(found);
      return found;
    },
    all: (type) => messages.filter((m) => m.type === type),
    close: () => ws.close(),
  };
}
