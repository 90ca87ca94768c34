import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '@marketpulse/runtime';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Authenticator } from '../auth';
import { CLOSE, type CloseCodeEntry } from './codes';
import { Connection } from './connection';
import { newCounters, type WsCounters } from './counters';
import type { Door, DoorParams } from './doors/door';
import { Heartbeat } from './heartbeat';
import type { Hub } from './hub';
import { originAllowed } from './limits';
import { runSession, type SessionOptions } from './session';

export interface WsGatewayOptions {
  hub: Hub;
  doors: readonly Door[];
  authenticator: Authenticator;
  authRequired: boolean;
  authTimeoutMs: number;
  maxConnections: number;
  maxMessageBytes: number;
  sendQueueBytes: number;
  rateLimitPerMinute: number;
  allowedOrigins: readonly string[];
  deflate: boolean;
  pingIntervalMs: number;
  pongTimeoutMs: number;
  logger: Logger;
}

export interface WsStats {
  active_connections: number;
  connections_by_door: Record<string, number>;
  counters: WsCounters;
}

/** How long closing connections get to finish their close handshake at shutdown. */
const SHUTDOWN_GRACE_MS = 2000;

/**
 * Accepts WebSocket upgrades for the doors, applies the connection limits (origin, capacity),
 * keeps the set of open connections and the one heartbeat that serves them all.
 */
export class WsGateway {
  readonly counters: WsCounters = newCounters();
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<Connection>();
  /** Every socket until its close handshake ends, including refused and closing ones. */
  private readonly sockets = new Set<WebSocket>();
  private readonly heartbeat: Heartbeat;

  constructor(private readonly options: WsGatewayOptions) {
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: options.maxMessageBytes,
      perMessageDeflate: options.deflate ? { threshold: 256 } : false,
    });
    this.heartbeat = new Heartbeat(() => this.connections, options.pingIntervalMs, options.pongTimeoutMs, () => {
      this.counters.heartbeat_timeouts++;
    });
    this.heartbeat.start();
    const sockets = this.sockets;
    this.onSocketClosed = function (this: WebSocket) {
      sockets.delete(this);
    };
    this.sessionOptions = {
      authenticator: options.authenticator,
      authRequired: options.authRequired,
      authTimeoutMs: options.authTimeoutMs,
      rateLimitPerMinute: options.rateLimitPerMinute,
      counters: this.counters,
      onDoorError: (conn, err) => {
        options.logger.error({ err, door: conn.door.name, client_id: conn.id }, 'door failed while handling a message');
        conn.close(CLOSE.INTERNAL_ERROR);
      },
    };
  }

  get size(): number {
    return this.connections.size;
  }

  /** The door serving `pathname`, with its path parameters. */
  route(pathname: string): { door: Door; params: DoorParams } | undefined {
    for (const door of this.options.doors) {
      const params = door.match(pathname);
      if (params) return { door, params };
    }
    return undefined;
  }

  /**
   * Handles an HTTP upgrade. `door` forces one door whatever the path (the native port); otherwise
   * the path picks it and an unknown path gets a 404 before any handshake.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, door?: Door): void {
    const url = new URL(req.url ?? '/', 'http://gateway');
    const target = door ? { door, params: {} } : this.route(url.pathname);
    if (!target) {
      const body = JSON.stringify({ error: { code: 'NOT_FOUND', message: `no WebSocket endpoint at ${url.pathname}` } });
      socket.end(`HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    socket.on('error', destroySocket);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, socket, req, url, target.door, target.params));
  }

  stats(): WsStats {
    const byDoor: Record<string, number> = {};
    for (const door of this.options.doors) byDoor[door.name] = 0;
    for (const conn of this.connections) byDoor[conn.door.name] = (byDoor[conn.door.name] ?? 0) + 1;
    return { active_connections: this.connections.size, connections_by_door: byDoor, counters: { ...this.counters } };
  }

  /** Closes every connection with GOING_AWAY (clients reconnect to another instance). */
  async close(): Promise<void> {
    this.heartbeat.stop();
    for (const conn of [...this.connections]) conn.close(CLOSE.GOING_AWAY);
    const deadline = Date.now() + SHUTDOWN_GRACE_MS;
    while (this.sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
  }

  private accept(ws: WebSocket, socket: Duplex, req: IncomingMessage, url: URL, door: Door, params: DoorParams): void {
    ws.on('error', this.onProtocolError);
    this.sockets.add(ws);
    ws.once('close', this.onSocketClosed);
    if (!originAllowed(req.headers.origin, this.options.allowedOrigins)) {
      this.counters.rejected_origin++;
      return refuse(ws, CLOSE.ORIGIN_NOT_ALLOWED);
    }
    if (this.connections.size >= this.options.maxConnections) {
      this.counters.rejected_at_capacity++;
      return refuse(ws, CLOSE.AT_CAPACITY);
    }
    const conn = new Connection({
      id: randomUUID(),
      door,
      ws,
      socket,
      hub: this.options.hub,
      counters: this.counters,
      sendQueueBytes: this.options.sendQueueBytes,
      now: Date.now(),
      onClosed: this.onConnectionClosed,
    });
    this.connections.add(conn);
    this.counters.total_connections++;
    runSession(conn, ws, params, url.searchParams, this.sessionOptions);
  }

  // Listeners shared by every connection, so a connection costs no closures of its own here.
  private readonly onConnectionClosed = (conn: Connection): void => {
    this.connections.delete(conn);
  };

  /** Called with the closing WebSocket as `this`. */
  private readonly onSocketClosed: (this: WebSocket) => void;

  private readonly sessionOptions: SessionOptions;

  private readonly onProtocolError = (err: Error): void => {
    this.options.logger.debug({ err: err.message }, 'websocket protocol error');
  };
}

/**
 * A module-level listener: a closure created in handleUpgrade would share that call's scope and
 * keep the request and its URL alive for the whole life of the socket.
 */
function destroySocket(this: Duplex): void {
  this.destroy();
}

function refuse(ws: WebSocket, entry: CloseCodeEntry): void {
  ws.close(entry.code, entry.reason);
}
