import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '@marketpulse/runtime';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { Authenticator } from '../auth';
import { CLOSE, type CloseCodeEntry } from './codes';
import type { Connection } from './connection';
import { newCounters, type WsCounters } from './counters';
import { Deadlines } from './deadlines';
import type { Door, DoorParams } from './doors/door';
import { Heartbeat } from './heartbeat';
import type { Hub } from './hub';
import { KeySessions } from './key_sessions';
import { originAllowed } from './limits';
import { Session, type SessionShared } from './session';

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
 * ws's WebSocket with a slot for the session it carries (ws builds it through the server's
 * `WebSocket` option): the socket's listeners are functions shared by every connection, called
 * with the socket as `this`, so no connection needs closures of its own to be found.
 */
class ClientSocket extends WebSocket {
  session: Session | undefined = undefined;
}

/** The session a socket carries (ws's typings give listeners a plain WebSocket as `this`). */
function sessionOf(ws: WebSocket): Session | undefined {
  return (ws as ClientSocket).session;
}

function onClientMessage(this: WebSocket, data: RawData): void {
  sessionOf(this)?.receive(data);
}

function onClientPong(this: WebSocket): void {
  const session = sessionOf(this);
  if (session) session.lastSeen = Date.now();
}

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
  private readonly deadlines = new Deadlines();
  private readonly keySessions: KeySessions;

  constructor(private readonly options: WsGatewayOptions) {
    this.wss = new WebSocketServer({
      noServer: true,
      // The gateway tracks its connections itself; ws's set would hold each socket a second time.
      clientTracking: false,
      maxPayload: options.maxMessageBytes,
      perMessageDeflate: options.deflate ? { threshold: 256 } : false,
      WebSocket: ClientSocket,
    });
    this.heartbeat = new Heartbeat(() => this.connections, options.pingIntervalMs, options.pongTimeoutMs, () => {
      this.counters.heartbeat_timeouts++;
    });
    this.heartbeat.start();
    this.keySessions = new KeySessions(options.authenticator.revocations, options.logger);
    const sockets = this.sockets;
    this.onSocketClosed = function (this: WebSocket) {
      sessionOf(this)?.socketClosed();
      sockets.delete(this);
    };
    this.shared = {
      hub: options.hub,
      counters: this.counters,
      sendQueueBytes: options.sendQueueBytes,
      onClosed: (conn) => this.connections.delete(conn),
      authenticator: options.authenticator,
      authRequired: options.authRequired,
      authTimeoutMs: options.authTimeoutMs,
      rateLimitPerMinute: options.rateLimitPerMinute,
      deadlines: this.deadlines,
      keySessions: this.keySessions,
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
    // ws listens for socket errors from here on (and destroys the socket on one).
    const origin = req.headers.origin;
    const { searchParams } = url;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws as ClientSocket, socket, origin, searchParams, target.door, target.params));
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
    this.deadlines.stop();
    this.keySessions.stop();
    for (const conn of [...this.connections]) conn.close(CLOSE.GOING_AWAY);
    const deadline = Date.now() + SHUTDOWN_GRACE_MS;
    while (this.sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
  }

  private accept(ws: ClientSocket, socket: Duplex, origin: string | undefined, query: URLSearchParams, door: Door, params: DoorParams): void {
    ws.on('error', this.onProtocolError);
    this.sockets.add(ws);
    ws.on('close', this.onSocketClosed);
    if (!originAllowed(origin, this.options.allowedOrigins)) {
      this.counters.rejected_origin++;
      return refuse(ws, CLOSE.ORIGIN_NOT_ALLOWED);
    }
    if (this.connections.size >= this.options.maxConnections) {
      this.counters.rejected_at_capacity++;
      return refuse(ws, CLOSE.AT_CAPACITY);
    }
    const session = new Session(randomUUID(), door, ws, socket, this.shared, Date.now());
    ws.session = session;
    ws.on('message', onClientMessage);
    ws.on('pong', onClientPong);
    this.connections.add(session);
    this.counters.total_connections++;
    session.start(params, query.get('since') ?? undefined, query.get('token'));
  }

  /** Called with the closing WebSocket as `this`; shared by every connection, like the listeners above. */
  private readonly onSocketClosed: (this: WebSocket) => void;

  private readonly shared: SessionShared;

  private readonly onProtocolError = (err: Error): void => {
    this.options.logger.debug({ err: err.message }, 'websocket protocol error');
  };
}

function refuse(ws: WebSocket, entry: CloseCodeEntry): void {
  ws.close(entry.code, entry.reason);
}
