import { canRead } from '../../auth';
import { CLOSE, ERROR, type ErrorName } from '../codes';
import type { Connection, ResumeFrom } from '../connection';
import type { ResumableEncoder } from '../history/replay_encoders';

/** A parsed client message: a JSON object with a string `type`. */
export type ClientMessage = { readonly type: string } & Readonly<Record<string, unknown>>;

/** Path parameters a door extracted from the request path (e.g. `{ symbol: 'AAPL' }`). */
export type DoorParams = Readonly<Record<string, string>>;

/** `since`, `position`: the `?since=` id and `?position=` token: replay what the client missed after them. */
export interface OpenOptions extends ResumeFrom {
  /** True when a token was presented and accepted (the native door acknowledges it). */
  authenticated: boolean;
}

/**
 * One WebSocket endpoint speaking one seed's protocol. The session (session.ts) handles what every
 * door shares (auth, rate limits, pong, ping) and hands the rest to the door.
 */
export interface Door {
  /** Label in stats and logs. */
  readonly name: string;
  /** Whether the seed's clients expect application-level `ping` messages (answered with `pong`). */
  readonly appPing: boolean;
  /** Subprotocols it speaks (Sec-WebSocket-Protocol), preferred first; the first a client offers is chosen (Connection.subprotocol). */
  readonly subprotocols?: readonly string[];
  /** Path parameters when this door serves `pathname`, otherwise null. */
  match(pathname: string): DoorParams | null;
  /** True when `pathname` is this door's but its parameters are invalid (e.g. a bad symbol): closed with 4005, not 4004. */
  claims?(pathname: string): boolean;
  /** Runs once the connection may read: after auth, or at once when auth is optional. */
  open(conn: Connection, params: DoorParams, options: OpenOptions): void;
  /** A client message other than auth, ping and pong, from an authenticated connection. */
  message(conn: Connection, msg: ClientMessage): void | Promise<void>;
  /** The door's `error` message; `fields` (a resume's position, its subscription) go beside the code. */
  error(name: ErrorName, detail?: string, fields?: Readonly<Record<string, unknown>>): object;
  /** Reply to an `auth` message; undefined when the seed has none for success. */
  authReply(conn: Connection, ok: boolean, detail?: string): object | undefined;
  /** After an `auth` message replaced the principal: drop what the new one may not read (fixed channels are left by the session). */
  reauthorized?(conn: Connection): void;
}

/** The error shape of the seed 001/003/004 doors: `message.message` is what their clients read. */
export function flatError(name: ErrorName, detail?: string, fields?: Readonly<Record<string, unknown>>): object {
  return {
    type: 'error',
    code: name,
    message: detail ? `${ERROR[name].message}: ${detail}` : ERROR[name].message,
    ...fields,
    timestamp: new Date().toISOString(),
  };
}

/** For doors whose clients send nothing but auth, ping and pong. */
export function rejectMessage(conn: Connection, msg: ClientMessage): void {
  conn.sendError('UNKNOWN_MESSAGE_TYPE', msg.type);
}

/**
 * Opens a fixed-channel door: subscribes the connection to those of `channels` its principal may
 * read (closing it with CHANNEL_FORBIDDEN when none), after the welcome message carrying the
 * newest id there and the client's position, and the replay of what it missed since `from`.
 */
export function openChannels(
  conn: Connection,
  channels: readonly string[],
  welcome: object,
  encoder: ResumableEncoder,
  from: ResumeFrom,
): void {
  const readable = channels.filter((c) => canRead(conn.principal!, c));
  if (readable.length === 0) {
    conn.sendError('CHANNEL_FORBIDDEN', channels.join(', '));
    return conn.close(CLOSE.CHANNEL_FORBIDDEN);
  }
  conn.subscribeFrom(readable, encoder, { since: from.since, position: from.position }, (position) =>
    conn.send({ ...welcome, id: conn.newestId(readable) ?? null, ...(position !== undefined ? { position } : {}) }),
  );
}

/** Replies for doors whose seed has no auth messages: failures become an `error`, success is silent. */
export function flatAuthReply(_conn: Connection, ok: boolean, detail?: string): object | undefined {
  return ok ? undefined : flatError('AUTH_FAILED', detail);
}

const SYMBOL = /^[A-Z0-9._\-/]{1,32}$/;

/** The canonical (upper-case) symbol, or null when it cannot be one. */
export function normalizeSymbol(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const symbol = raw.trim().toUpperCase();
  return SYMBOL.test(symbol) ? symbol : null;
}

/** Matches `/ws/<segment>/{symbol}` with a valid symbol (URL-decoded, upper-cased); otherwise null (404). */
export function matchSymbolPath(pathname: string, prefix: string): DoorParams | null {
  if (!pathname.startsWith(prefix)) return null;
  const rest = pathname.slice(prefix.length);
  if (rest.length === 0 || rest.includes('/')) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(rest);
  } catch {
    return null;
  }
  const symbol = normalizeSymbol(decoded);
  return symbol === null ? null : { symbol };
}

/** The ISO time now, as every seed's `timestamp` field. */
export function nowIso(): string {
  return new Date().toISOString();
}
