import type { RawData } from 'ws';
import { ANONYMOUS, AuthError, type Authenticator, type Principal } from '../auth';
import { CLOSE } from './codes';
import { boundedDetail, Connection, type ConnectionShared, type ResumeFrom } from './connection';
import type { Deadlines, Timed } from './deadlines';
import { currentBeat } from './heartbeat';
import type { ClientMessage, DoorParams } from './doors/door';
import type { KeyHolder, KeySessions } from './key_sessions';
import { takeMessage } from './limits';
import { depthOf, MAX_MESSAGE_DEPTH } from './client_values';

export interface SessionShared extends ConnectionShared {
  readonly authenticator: Authenticator;
  readonly authRequired: boolean;
  readonly authTimeoutMs: number;
  readonly rateLimitPerMinute: number;
  /** The one timer behind every connection's auth timeout and credential expiry. */
  readonly deadlines: Deadlines;
  /** The open connections of each stored API key, ended when the key is revoked. */
  readonly keySessions: KeySessions;
  /** Reports a door failure; the client gets an INTERNAL error close. */
  readonly onDoorError: (conn: Connection, err: unknown) => void;
  /**
   * The authenticator's verify, but a credential that needs a database look-up is first charged
   * to the connection's client address (AuthError when its budget is spent): a flood of random
   * keys on the doors costs no look-ups past that budget.
   */
  readonly verify: (conn: Connection, credential: string) => Promise<Principal>;
}

/** What a connection needs only until it is admitted: where its door opens it. */
interface PendingOpen {
  readonly params: DoorParams;
  readonly resume: ResumeFrom;
  /** Messages that arrived while a `?token=` was being verified, handled once it is. */
  held: ClientMessage[] | undefined;
}

/**
 * What every door shares: authentication (`?token=` or an `auth` message within the timeout),
 * credential expiry, the per-client message rate, JSON parsing, liveness, client pings. The door
 * sees only messages from an authenticated connection. It extends Connection so that a client is
 * one object: its state is a few fields, its timers are entries in the gateway's Deadlines and
 * the socket's listeners are shared functions that find it from the socket.
 */
export class Session extends Connection<SessionShared> implements Timed, KeyHolder {
  deadlineSlot = -1;
  /** The rate limit's state (see takeMessage), and whether the client was warned since it was last within it. */
  private rateTat = 0;
  private rateWarned = false;
  private pending: PendingOpen | undefined = undefined;

  start(params: DoorParams, resume: ResumeFrom, token: string | null): void {
    const { shared } = this;
    if (token) {
      this.pending = { params, resume, held: [] };
      shared.verify(this, token).then(
        (principal) => this.onTokenVerified(principal),
        (err: unknown) => this.onRejected(err),
      );
    } else if (!shared.authRequired) {
      this.admit(ANONYMOUS, false, params, resume);
    } else {
      this.pending = { params, resume, held: undefined };
      shared.deadlines.set(this, Date.now() + shared.authTimeoutMs);
    }
  }

  /** A message from the client (the socket's shared `message` listener calls this). */
  receive(data: RawData, isBinary = false): void {
    const now = Date.now();
    const { shared } = this;
    this.lastSeenBeat = currentBeat();
    shared.counters.messages_received++;
    shared.counters.bytes_received += rawLength(data);
    const tat = takeMessage(this.rateTat, now, shared.rateLimitPerMinute);
    if (tat === null) {
      if (this.rateWarned) {
        shared.counters.rate_limit_disconnects++;
        return this.close(CLOSE.RATE_LIMITED);
      }
      this.rateWarned = true;
      return this.sendError('RATE_LIMITED', `at most ${shared.rateLimitPerMinute} messages per minute`);
    }
    this.rateTat = tat;
    this.rateWarned = false;
    if (isBinary) {
      // Clients send JSON text on every door, whatever the subprotocol: a binary frame is never parsed.
      this.sendError('INVALID_MESSAGE', 'binary frames are not accepted: send JSON text');
      return this.close(CLOSE.BINARY_NOT_ACCEPTED);
    }
    const msg = parse(data);
    if (msg === 'json') return this.sendError('INVALID_JSON');
    if (msg === 'shape') return this.sendError('INVALID_MESSAGE', 'expected an object with a string "type"');
    if (msg === 'deep') return this.sendError('INVALID_MESSAGE', `objects and arrays nest at most ${MAX_MESSAGE_DEPTH} levels deep`);
    const held = this.pending?.held;
    if (held && msg.type !== 'pong') held.push(msg);
    else this.dispatch(msg);
  }

  /** The auth timeout (before admission) or the credential's expiry (after) fell due. */
  onDeadline(): void {
    if (!this.isOpen) return;
    this.shared.counters.auth_failures++;
    if (this.principal === undefined) return this.close(CLOSE.AUTH_TIMEOUT);
    this.sendError('AUTH_FAILED', 'token expired; reconnect with a fresh token and ?position=<last position>');
    this.close(CLOSE.TOKEN_EXPIRED);
  }

  /** The stored API key that authenticated it was revoked (here, or found so by a re-check). */
  keyRevoked(): void {
    if (!this.isOpen) return;
    this.shared.counters.auth_failures++;
    this.sendError('AUTH_FAILED', 'API key revoked; reconnect with another credential');
    this.close(CLOSE.KEY_REVOKED);
  }

  protected override finish(): void {
    if (!this.isOpen) return;
    this.shared.deadlines.clear(this);
    this.shared.keySessions.remove(this);
    this.pending = undefined;
    super.finish();
  }

  private onTokenVerified(principal: Principal): void {
    const pending = this.pending;
    if (!this.isOpen || !pending) return;
    this.admit(principal, true, pending.params, pending.resume);
    for (const msg of pending.held ?? []) this.dispatch(msg);
  }

  private onRejected(err: unknown): void {
    this.shared.counters.auth_failures++;
    const detail = boundedDetail(err instanceof AuthError ? err.message : 'token could not be verified');
    this.shared.onRefused?.(this, 'AUTH_FAILED', detail);
    const reply = this.door.authReply(this, false, detail);
    if (reply) this.send(reply);
    this.close(CLOSE.AUTH_FAILED);
  }

  private admit(principal: Principal, authenticated: boolean, params: DoorParams, resume: ResumeFrom): void {
    this.pending = undefined;
    this.authenticated(principal);
    this.door.open(this, params, { ...resume, authenticated });
  }

  /**
   * A credential is checked when presented only; the connection ends (1008) when it expires, or
   * when its stored API key is revoked. Replaces what an earlier credential set (the auth timeout,
   * or the expiry and key of an earlier `auth`).
   */
  private authenticated(principal: Principal): void {
    const { keySessions, deadlines } = this.shared;
    keySessions.remove(this);
    this.principal = principal;
    keySessions.add(this);
    deadlines.set(this, principal.expiresAt ?? Infinity);
  }

  private async authenticate(token: unknown): Promise<void> {
    if (typeof token !== 'string' || token.length === 0) return this.onRejected(new AuthError('auth message carries no token'));
    let principal: Principal;
    try {
      principal = await this.shared.verify(this, token);
    } catch (err) {
      return this.onRejected(err);
    }
    if (!this.isOpen) return;
    const pending = this.pending;
    if (this.principal === undefined && pending) return this.admit(principal, true, pending.params, pending.resume);
    // Re-authentication replaces the principal and its expiry, and narrows what the connection
    // holds to what the new one may read (the hub checks the principal at every delivery too).
    this.authenticated(principal);
    const reply = this.door.authReply(this, true);
    if (reply) this.send(reply);
    this.door.reauthorized?.(this);
    const left = this.leaveUnreadable();
    if (left.length === 0) return;
    this.sendError('CHANNEL_FORBIDDEN', `${left.join(', ')}: not readable with the new credential, unsubscribed`);
    if (!this.subscribed) this.close(CLOSE.CHANNEL_FORBIDDEN);
  }

  private dispatch(msg: ClientMessage): void {
    switch (msg.type) {
      case 'pong':
        return;
      case 'ping':
        return this.send({ type: 'pong' });
      case 'auth': {
        const data = msg.data as { token?: unknown } | undefined;
        void this.authenticate(data?.token ?? msg.token);
        return;
      }
    }
    if (this.principal === undefined) return this.sendError('AUTH_REQUIRED', 'send {"type":"auth","data":{"token":"..."}} first');
    Promise.resolve()
      .then(() => this.door.message(this, msg))
      .catch((err: unknown) => this.shared.onDoorError(this, err));
  }
}

/** Bytes of one client message, however ws handed it over (Buffer, ArrayBuffer or fragments). */
function rawLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data.byteLength;
}

function parse(data: RawData): ClientMessage | 'json' | 'shape' | 'deep' {
  let value: unknown;
  try {
    value = JSON.parse(data.toString());
  } catch {
    return 'json';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'shape';
  if (typeof (value as { type?: unknown }).type !== 'string') return 'shape';
  if (depthOf(value) > MAX_MESSAGE_DEPTH) return 'deep';
  return value as ClientMessage;
}
