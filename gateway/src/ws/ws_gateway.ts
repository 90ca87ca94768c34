import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '@marketpulse/runtime';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { AuthError, type Authenticator } from '../auth';
import { clientAddress, ownOrigin, type TrustedProxies } from '../http/client_address';
import type { CorsOptions } from '../http/cors';
import { RateLimiter } from '../rate_limit';
import type { AccessLog, WsAccess } from '../observability/access_log';
import { CLOSE, ERROR, PROTOCOL_CLOSES, type CloseCodeEntry } from './codes';
import type { Connection } from './connection';
import { newCounters, type WsCounters } from './counters';
import { Deadlines } from './deadlines';
import { refuseHandshake } from './handshake_refusal';
import type { Door, DoorParams } from './doors/door';
import { currentBeat, Heartbeat } from './heartbeat';
import type { ReplayPacing } from './history/replay_pacing';
import type { ResumeMetrics } from './history/resume_metrics';
import type { Hub } from './hub';
import { AddressSlots } from './address_slots';
import type { KeySessions } from './key_sessions';
import { originAllowed } from './limits';
import { Session, type SessionShared } from './session';
import type { SymbolCatalog } from './symbol_catalog';

export interface WsGatewayOptions {
  hub: Hub;
  /** The open connections of each API key (shared with the tRPC streams); its owner stops it. */
  keySessions: KeySessions;
  doors: readonly Door[];
  authenticator: Authenticator;
  authRequired: boolean;
  authTimeoutMs: number;
  maxConnections: number;
  /** WS_MAX_CONNECTIONS_PER_ADDRESS. */
  maxConnectionsPerAddress: number;
  /** Budget per client address of credentials that need a database look-up (API_RATE_LIMIT_PER_MINUTE / _BURST). */
  unverifiedPerMinute: number;
  unverifiedBurst: number;
  maxMessageBytes: number;
  sendQueueBytes: number;
  rateLimitPerMinute: number;
  /** WS_ALLOWED_ORIGINS: empty, the gateway's own origin and, in development, loopback pages (limits.ts originAllowed). */
  allowedOrigins: readonly string[];
  /** GATEWAY_ENV=development. */
  development: boolean;
  /** TRUSTED_PROXIES: whose X-Forwarded-For names the client (http/client_address.ts). */
  trustedProxies: TrustedProxies;
  deflate: boolean;
  pingIntervalMs: number;
  pongTimeoutMs: number;
  logger: Logger;
  /** Writes a line per connection open and close (door, code, reason); none when absent. */
  accessLog?: AccessLog;
  /** Symbol doors opened for a symbol market-data does not carry are closed (4005); none checks nothing. */
  symbols?: SymbolCatalog;
  /** Resume reads from memory (Kafka read-backs count their own: history/kafka_resume.ts). */
  resumeMetrics?: ResumeMetrics;
  /** How a resume from memory past one chunk is paced: the pacing Kafka read-backs keep (history/replay_pacing.ts). */
  replayPacing: ReplayPacing;
  /** False while the instance warms up: a client is closed with NOT_READY (1013) and retries. */
  ready?: () => boolean;
}

export interface WsStats {
  active_connections: number;
  connections_by_door: Record<string, number>;
  counters: WsCounters;
  /** Connections ended since start, by close code (whoever closed). */
  closes_by_code: Record<string, number>;
  /** Bytes waiting in every connection's send queue now. */
  send_queue_bytes: number;
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
  /** Who it is in the access log, and since when; set when the access log is on. */
  access: WsAccess | undefined = undefined;
  openedAt = 0;

  /**
   * A pong frame (ws emits 'pong') is seen here rather than by a listener: a fourth event name on
   * the socket would double its listener table (96 bytes per connection, issue 19).
   */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'pong' && this.session) this.session.lastSeenBeat = currentBeat();
    return super.emit(event, ...args);
  }

  /** ws closes a protocol breach (1002, 1007, 1009) with no reason: the table's one says why. */
  override close(code?: number, reason?: string | Buffer): void {
    super.close(code, reason ?? (code === undefined ? undefined : PROTOCOL_CLOSES.get(code)?.reason));
  }
}

/** The session a socket carries (ws's typings give listeners a plain WebSocket as `this`). */
function sessionOf(ws: WebSocket): Session | undefined {
  return (ws as ClientSocket).session;
}

function onClientMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  sessionOf(this)?.receive(data, isBinary);
}

/**
 * Accepts WebSocket upgrades for the doors, applies the connection limits (origin, capacity),
 * keeps the set of open connections and the one heartbeat that serves them all.
 */
export class WsGateway {
  readonly counters: WsCounters = newCounters();
  private readonly closesByCode = new Map<number, number>();
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<Connection>();
  /** Every socket until its close handshake ends, including refused and closing ones. */
  private readonly sockets = new Set<WebSocket>();
  private readonly heartbeat: Heartbeat;
  private readonly deadlines = new Deadlines();
  private readonly keySessions: KeySessions;
  private readonly addressSlots: AddressSlots;
  /** The door of each handshake under way, for the subprotocol choice. */
  private readonly upgrading = new WeakMap<IncomingMessage, Door>();
  private readonly originPolicy: CorsOptions;

  constructor(private readonly options: WsGatewayOptions) {
    const upgrading = this.upgrading;
    this.originPolicy = { allowedOrigins: options.allowedOrigins.map((o) => o.toLowerCase()), development: options.development };
    this.wss = new WebSocketServer({
      noServer: true,
      // The gateway tracks its connections itself; ws's set would hold each socket a second time.
      clientTracking: false,
      maxPayload: options.maxMessageBytes,
      perMessageDeflate: options.deflate ? { threshold: 256 } : false,
      WebSocket: ClientSocket,
      // The door's first subprotocol the client offers; none of them (or a door without any): no
      // subprotocol, the door's default (strict clients such as browsers then fail the handshake themselves).
      handleProtocols: (offered, req) => upgrading.get(req)?.subprotocols?.find((p) => offered.has(p)) ?? false,
    });
    this.wss.on('wsClientError', (err: Error, socket: Duplex) => refuseHandshake(err, socket));
    this.heartbeat = new Heartbeat(
      () => this.connections,
      options.pingIntervalMs,
      options.pongTimeoutMs,
      () => {
        this.counters.heartbeat_timeouts++;
      },
    );
    this.heartbeat.start();
    this.keySessions = options.keySessions;
    this.addressSlots = new AddressSlots(options.maxConnectionsPerAddress);
    const lookups = new RateLimiter({ perMinute: options.unverifiedPerMinute, burst: options.unverifiedBurst });
    const { sockets, closesByCode } = this;
    const accessLog = options.accessLog;
    this.onSocketClosed = function (this: WebSocket, code: number, reason: Buffer) {
      sessionOf(this)?.socketClosed();
      sockets.delete(this);
      closesByCode.set(code, (closesByCode.get(code) ?? 0) + 1);
      const client = this as ClientSocket;
      if (accessLog && client.access) accessLog.wsClose(client.access, code, reason.toString(), client.openedAt);
    };
    this.shared = {
      hub: options.hub,
      counters: this.counters,
      sendQueueBytes: options.sendQueueBytes,
      replayPacing: options.replayPacing,
      resumeMetrics: options.resumeMetrics,
      logger: options.logger,
      onClosed: (conn) => {
        this.connections.delete(conn);
        this.addressSlots.release(conn);
      },
      authenticator: options.authenticator,
      authRequired: options.authRequired,
      authTimeoutMs: options.authTimeoutMs,
      rateLimitPerMinute: options.rateLimitPerMinute,
      deadlines: this.deadlines,
      keySessions: this.keySessions,
      verify: (conn, credential) => {
        if (options.authenticator.needsLookup(credential)) {
          const decision = lookups.take(`addr:${conn.address}`);
          if (!decision.allowed)
            return Promise.reject(
              new AuthError(`too many unverified credentials from this address; try again in ${decision.retryAfterSeconds} s`),
            );
        }
        return options.authenticator.verify(credential);
      },
      onRefused: (conn, name, detail) => {
        // The reason, never the credential: `detail` comes from the authenticator's message.
        options.logger.warn(
          {
            event: 'websocket.refused',
            door: conn.door.name,
            client_id: conn.id,
            'enduser.id': conn.principal?.userId,
            code: name,
            reason: detail,
          },
          'websocket request refused',
        );
      },
      onDoorError: (conn, err) => {
        // The client's message failed, not its connection: it gets an error naming the log line and stays.
        const errorId = randomUUID();
        options.logger.error({ err, error_id: errorId, door: conn.door.name, client_id: conn.id }, 'door failed while handling a message');
        conn.sendError('INTERNAL', `logged with error id ${errorId}`);
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
    // A request target no URL parser takes (`GET http://[`) is no door's path: refused like any unknown one, never thrown.
    const url = URL.parse(req.url ?? '/', 'http://gateway');
    const target = !url ? undefined : door ? { door, params: {} } : this.route(url.pathname);
    if (!url || !target) {
      // A browser cannot read a refused handshake (it sees 1006 and no reason): open, say why, close.
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('error', this.onProtocolError);
        this.sockets.add(ws);
        ws.on('close', this.onSocketClosed);
        this.refuseUnknownPath(ws, url?.pathname ?? req.url ?? '');
      });
      return;
    }
    // ws listens for socket errors from here on (and destroys the socket on one).
    const origin = req.headers.origin;
    const own = origin === undefined ? undefined : ownOrigin(req, this.options.trustedProxies);
    const { searchParams } = url;
    const address = clientAddress(req, this.options.trustedProxies);
    this.upgrading.set(req, target.door);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const client = ws as ClientSocket;
      if (this.options.accessLog) {
        // The request's own string when it is the path already: url.pathname is a slice of the
        // whole URL, and would keep that alive for as long as the connection lasts.
        const path = req.url === url.pathname ? req.url : url.pathname;
        client.access = { client_id: '', door: target.door.name, path, remote_address: address };
        client.openedAt = Date.now();
      }
      this.accept(client, socket, address, originAllowed(origin, own, this.originPolicy), searchParams, target.door, target.params);
    });
  }

  /** An unknown door (4004 UNKNOWN_ENDPOINT), or a symbol door's path with an invalid symbol (4005 UNKNOWN_SYMBOL). */
  private refuseUnknownPath(ws: WebSocket, pathname: string): void {
    const owner = this.options.doors.find((d) => d.claims?.(pathname));
    if (owner) {
      ws.send(JSON.stringify(owner.error('INVALID_SYMBOL', `${describePath(pathname)}: expected 1-32 of A-Z 0-9 . _ - /`)));
      return refuse(ws, CLOSE.UNKNOWN_SYMBOL);
    }
    const doors = '/ws/market-data/{symbol}, /ws/predictions/{symbol}, /ws/alerts, /ws, /ws/live, /ws/stream';
    ws.send(
      JSON.stringify({
        type: 'error',
        code: 'UNKNOWN_ENDPOINT',
        message: `${ERROR.UNKNOWN_ENDPOINT.message}: no WebSocket endpoint at ${describePath(pathname)}; the doors are ${doors}`,
        timestamp: new Date().toISOString(),
      }),
    );
    refuse(ws, CLOSE.UNKNOWN_ENDPOINT);
  }

  stats(): WsStats {
    const byDoor: Record<string, number> = {};
    for (const door of this.options.doors) byDoor[door.name] = 0;
    let queued = 0;
    for (const conn of this.connections) {
      byDoor[conn.door.name] = (byDoor[conn.door.name] ?? 0) + 1;
      queued += conn.bytesQueued;
    }
    return {
      active_connections: this.connections.size,
      connections_by_door: byDoor,
      counters: { ...this.counters },
      closes_by_code: Object.fromEntries([...this.closesByCode].map(([code, n]) => [String(code), n])),
      send_queue_bytes: queued,
    };
  }

  /** Closes every connection with GOING_AWAY (clients reconnect to another instance). */
  async close(): Promise<void> {
    this.heartbeat.stop();
    this.deadlines.stop();
    for (const conn of [...this.connections]) conn.close(CLOSE.GOING_AWAY);
    const deadline = Date.now() + SHUTDOWN_GRACE_MS;
    while (this.sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
  }

  private accept(
    ws: ClientSocket,
    socket: Duplex,
    address: string,
    originPasses: boolean,
    query: URLSearchParams,
    door: Door,
    params: DoorParams,
  ): void {
    ws.on('error', this.onProtocolError);
    this.sockets.add(ws);
    ws.on('close', this.onSocketClosed);
    if (!originPasses) {
      this.counters.rejected_origin++;
      return refuse(ws, CLOSE.ORIGIN_NOT_ALLOWED);
    }
    if (this.options.ready && !this.options.ready()) return refuse(ws, CLOSE.NOT_READY);
    if (this.connections.size >= this.options.maxConnections) {
      this.counters.rejected_at_capacity++;
      return refuse(ws, CLOSE.AT_CAPACITY);
    }
    if (!this.addressSlots.available(address)) {
      this.counters.rejected_per_address++;
      return refuse(ws, CLOSE.AT_CAPACITY);
    }
    const session = new Session(randomUUID(), door, ws, socket, this.shared, currentBeat(), address);
    this.addressSlots.take(session);
    ws.session = session;
    if (ws.access) {
      ws.access.client_id = session.id;
      this.options.accessLog?.wsOpen(ws.access);
    }
    ws.on('message', onClientMessage);
    this.connections.add(session);
    this.counters.total_connections++;
    session.start(params, { since: query.get('since') ?? undefined, position: query.get('position') ?? undefined }, query.get('token'));
    if (params.symbol !== undefined && this.options.symbols) void this.closeIfUnknown(session, params.symbol, this.options.symbols);
  }

  /** Never a silent stream: a symbol market-data does not carry gets an error naming the ones it does, then 4005. */
  private async closeIfUnknown(session: Session, symbol: string, catalog: SymbolCatalog): Promise<void> {
    const found = await catalog.check(symbol);
    if (!found || found.known || !session.isOpen) return;
    const listed = found.symbols.slice(0, 50).join(', ');
    session.sendError('UNKNOWN_SYMBOL', `${symbol} is not carried; the symbols are ${listed}${found.symbols.length > 50 ? ', …' : ''}`);
    session.close(CLOSE.UNKNOWN_SYMBOL);
  }

  /** Called with the closing WebSocket as `this`; shared by every connection, like the listeners above. */
  private readonly onSocketClosed: (this: WebSocket, code: number, reason: Buffer) => void;

  private readonly shared: SessionShared;

  private readonly onProtocolError = (err: Error): void => {
    this.options.logger.debug({ err: err.message }, 'websocket protocol error');
  };
}

/** The path as a message may quote it: bounded, printable. */
function describePath(pathname: string): string {
  const shown = pathname.length > 80 ? `${pathname.slice(0, 80)}…` : pathname;
  return JSON.stringify(shown);
}

function refuse(ws: WebSocket, entry: CloseCodeEntry): void {
  ws.close(entry.code, entry.reason);
}
