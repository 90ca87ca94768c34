import type { RawData, WebSocket } from 'ws';
import { ANONYMOUS, AuthError, type Authenticator, type Principal } from '../auth';
import { CLOSE } from './codes';
import type { Connection } from './connection';
import type { WsCounters } from './counters';
import type { ClientMessage, DoorParams } from './doors/door';
import { RateLimiter } from './limits';

export interface SessionOptions {
  authenticator: Authenticator;
  authRequired: boolean;
  authTimeoutMs: number;
  rateLimitPerMinute: number;
  counters: WsCounters;
  /** Reports a door failure; the client gets an INTERNAL error close. */
  onDoorError: (conn: Connection, err: unknown) => void;
}

/**
 * What every door shares: authentication (`?token=` or an `auth` message within the timeout),
 * the per-client message rate, JSON parsing, liveness (any message or pong frame), client pings.
 * The door sees only messages from an authenticated connection. A class rather than closures:
 * it is per connection, so its size is multiplied by every client.
 */
class Session {
  private readonly limiter: RateLimiter;
  private authTimer: NodeJS.Timeout | undefined;
  /** Messages that arrived while a `?token=` was being verified, handled once it is. */
  private held: ClientMessage[] | undefined;

  constructor(
    private readonly conn: Connection,
    private readonly params: DoorParams,
    private readonly since: string | undefined,
    private readonly options: SessionOptions,
  ) {
    this.limiter = new RateLimiter(options.rateLimitPerMinute, Date.now());
  }

  start(ws: WebSocket, token: string | null): void {
    ws.on('pong', this.onPong);
    ws.on('message', this.onMessage);
    if (token) {
      this.held = [];
      this.options.authenticator.verify(token).then(
        (principal) => this.onTokenVerified(principal),
        (err: unknown) => this.onRejected(err),
      );
    } else if (!this.options.authRequired) {
      this.admit(ANONYMOUS, false);
    } else {
      this.authTimer = setTimeout(() => this.onAuthTimeout(), this.options.authTimeoutMs);
      this.authTimer.unref();
    }
  }

  private readonly onPong = (): void => {
    this.conn.lastSeen = Date.now();
  };

  private readonly onMessage = (data: RawData): void => {
    const now = Date.now();
    const { conn, options } = this;
    conn.lastSeen = now;
    options.counters.messages_received++;
    const verdict = this.limiter.take(now);
    if (verdict === 'close') {
      options.counters.rate_limit_disconnects++;
      return conn.close(CLOSE.RATE_LIMITED);
    }
    if (verdict === 'warn') return conn.sendError('RATE_LIMITED', `at most ${options.rateLimitPerMinute} messages per minute`);
    const msg = parse(data);
    if (msg === 'json') return conn.sendError('INVALID_JSON');
    if (msg === 'shape') return conn.sendError('INVALID_MESSAGE', 'expected an object with a string "type"');
    if (this.held && msg.type !== 'pong') this.held.push(msg);
    else this.dispatch(msg);
  };

  private onTokenVerified(principal: Principal): void {
    if (!this.conn.isOpen) return;
    this.admit(principal, true);
    const backlog = this.held ?? [];
    this.held = undefined;
    for (const msg of backlog) this.dispatch(msg);
  }

  private onRejected(err: unknown): void {
    this.options.counters.auth_failures++;
    const detail = err instanceof AuthError ? err.message : 'token could not be verified';
    const reply = this.conn.door.authReply(this.conn, false, detail);
    if (reply) this.conn.send(reply);
    this.conn.close(CLOSE.AUTH_FAILED);
  }

  private onAuthTimeout(): void {
    if (this.conn.principal !== undefined || !this.conn.isOpen) return;
    this.options.counters.auth_failures++;
    this.conn.close(CLOSE.AUTH_TIMEOUT);
  }

  private admit(principal: Principal, authenticated: boolean): void {
    clearTimeout(this.authTimer);
    this.conn.principal = principal;
    this.conn.expireAt(principal.expiresAt);
    this.conn.door.open(this.conn, this.params, { since: this.since, authenticated });
  }

  private async authenticate(token: unknown): Promise<void> {
    if (typeof token !== 'string' || token.length === 0) return this.onRejected(new AuthError('auth message carries no token'));
    let principal: Principal;
    try {
      principal = await this.options.authenticator.verify(token);
    } catch (err) {
      return this.onRejected(err);
    }
    const { conn } = this;
    if (!conn.isOpen) return;
    if (conn.principal === undefined) return this.admit(principal, true);
    conn.principal = principal;
    conn.expireAt(principal.expiresAt);
    const reply = conn.door.authReply(conn, true);
    if (reply) conn.send(reply);
  }

  private dispatch(msg: ClientMessage): void {
    const { conn } = this;
    switch (msg.type) {
      case 'pong':
        return;
      case 'ping':
        return conn.send({ type: 'pong' });
      case 'auth': {
        const data = msg.data as { token?: unknown } | undefined;
        void this.authenticate(data?.token ?? msg.token);
        return;
      }
    }
    if (conn.principal === undefined) return conn.sendError('AUTH_REQUIRED', 'send {"type":"auth","data":{"token":"..."}} first');
    Promise.resolve()
      .then(() => conn.door.message(conn, msg))
      .catch((err: unknown) => this.options.onDoorError(conn, err));
  }
}

export function runSession(conn: Connection, ws: WebSocket, params: DoorParams, query: URLSearchParams, options: SessionOptions): void {
  new Session(conn, params, query.get('since') ?? undefined, options).start(ws, query.get('token'));
}

function parse(data: RawData): ClientMessage | 'json' | 'shape' {
  let value: unknown;
  try {
    value = JSON.parse(data.toString());
  } catch {
    return 'json';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'shape';
  if (typeof (value as { type?: unknown }).type !== 'string') return 'shape';
  return value as ClientMessage;
}
