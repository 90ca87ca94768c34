import { CLOSE, ERROR } from './generated/api.js';
import { ITEM_FIELD, type Filters, type SubscriptionItems, type SubscriptionType } from './events.js';
import { completeItem, decodeBinaryData, decodeCompactData, type DecodedData } from './stream_items.js';

/** What the client needs of a WebSocket: the browser's, Node 22+'s global one, or the `ws` package's. */
export interface WebSocketLike {
  readonly readyState: number;
  /** Set to 'arraybuffer' when binary frames are asked for (a browser's default, 'blob', cannot be read at once). */
  binaryType?: string;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/**
 * How the gateway sends `data` messages: `json` (seed 002's JSON objects, the default), `compact`
 * (JSON arrays, the subprotocol `marketpulse.v1.compact`: about half the bytes, still text) or
 * `protobuf` (binary frames of `marketpulse.realtime.v1.StreamData`, the subprotocol
 * `marketpulse.v1.proto`: the fewest bytes, and no JSON parse per message). Subscribers get the
 * same items in every format.
 */
export type StreamFormat = 'json' | 'compact' | 'protobuf';

/** The subprotocol asked for in each format (gateway/README.md, "The native protocol's frames"). */
export const STREAM_SUBPROTOCOL: Readonly<Record<StreamFormat, string>> = {
  json: 'marketpulse.v1.json',
  compact: 'marketpulse.v1.compact',
  protobuf: 'marketpulse.v1.proto',
};

/**
 * What each format offers at the handshake. JSON offers none, so a gateway older than the
 * subprotocols still answers; compact offers JSON after it, so a gateway without compact frames
 * answers with seed 002's JSON (which the client reads as well) rather than failing the handshake.
 */
const OFFERED: Readonly<Record<StreamFormat, readonly string[]>> = {
  json: [],
  compact: [STREAM_SUBPROTOCOL.compact, STREAM_SUBPROTOCOL.json],
  protobuf: [STREAM_SUBPROTOCOL.protobuf],
};

/** A credential: a JWT or an API key, or a function asked for a fresh one on every (re)connect. */
export type TokenSource = string | (() => string | undefined | Promise<string | undefined>);

export interface StreamClientOptions {
  /** ws://host:port/ws/stream (or the native port). */
  url: string;
  token?: TokenSource;
  /** Defaults to globalThis.WebSocket (browsers, Node 22+); on Node 20 pass the `ws` package's. */
  WebSocket?: WebSocketConstructor;
  /** `json` (default), `compact` (JSON arrays) or `protobuf` (binary data messages); see StreamFormat. */
  format?: StreamFormat;
  /** First reconnect delay; doubles per failed attempt up to maxReconnectDelayMs, with jitter. */
  minReconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
  /** Least delay after a 1013 (server at capacity). */
  capacityDelayMs?: number;
  /** A ping is sent after this long without a message; no answer within pongTimeoutMs ends the socket. */
  pingIntervalMs?: number;
  pongTimeoutMs?: number;
  /** A JWT with `exp` is replaced (an `auth` message with a fresh token) this long before it expires. */
  refreshBeforeExpiryMs?: number;
  /**
   * Ids remembered per subscription (2,000) to drop a redelivered event that carries no `pos` (the
   * in-memory bus), or whose partition its position does not keep. An event with a `pos` is
   * dropped by its position, whatever this window.
   */
  dedupeWindow?: number;
  /**
   * A connection counts as healthy once it stayed connected (authenticated) this long (5 s): only
   * then does the reconnect backoff start over from minReconnectDelayMs. A gateway that accepts
   * and closes at once, or right after auth_success, sees the delay double each time.
   */
  stableConnectionMs?: number;
  /** A subscribe the gateway does not answer within this long (10 s) is a CLIENT_SUBSCRIBE_TIMEOUT error and a reconnect. */
  subscribeTimeoutMs?: number;
}

/**
 * `connecting`: opening or authenticating. `connected`: subscriptions live. `disconnected`: lost,
 * a reconnect is scheduled (`retryInMs`). `closed`: terminal, by close() or a refusal that a
 * reconnect cannot fix (auth refused, unknown endpoint).
 */
export type StreamState = 'connecting' | 'connected' | 'disconnected' | 'closed';

export interface StateInfo {
  code?: number;
  reason?: string;
  retryInMs?: number;
}

/** An `error` message of the gateway, or a failure of the client (code CLIENT_*). */
export interface StreamError {
  code: string;
  message: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the failing subscription may be of any type
  subscription?: Subscription<any>;
  /** CLIENT_CALLBACK_THREW: what the application's callback or listener threw. */
  cause?: unknown;
}

export interface DataMeta {
  /** The event id: what a resume starts after. */
  id: string;
  subscriptionId: string;
  timestamp: string;
  traceId?: string;
}

type Listener<A extends unknown[]> = (...args: A) => void;

interface StreamEvents {
  state: [StreamState, StateInfo];
  error: [StreamError];
}

type CloseEntry = { code: number; reason: string; reconnect: boolean };
const CLOSE_ENTRIES: readonly CloseEntry[] = Object.values(CLOSE);

/** Whether reconnecting can help after this close (gateway/src/ws/codes.ts). Codes it does not list (1006 …) can. */
export function closeAllowsReconnect(code: number, reason: string): boolean {
  const entries = CLOSE_ENTRIES.filter((e) => e.code === code);
  if (entries.length === 0) return true;
  const exact = entries.find((e) => e.reason === reason);
  if (exact) return exact.reconnect;
  return entries.every((e) => e.reconnect);
}

/** Errors that answer a subscribe message (and so fail the oldest pending subscribe). */
const SUBSCRIBE_ERRORS = new Set([
  'UNKNOWN_SUBSCRIPTION_TYPE',
  'INVALID_FILTERS',
  'CHANNEL_FORBIDDEN',
  'TOO_MANY_SUBSCRIPTIONS',
  'INVALID_MESSAGE',
]);

/** Seconds-since-epoch `exp` of a JWT, undefined for anything else (an API key). */
export function jwtExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const json = atob(parts[1]!.replace(/-/g, '+').replace(/_/g, '/'));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp : undefined;
  } catch {
    return undefined;
  }
}

/** A message of the gateway the client cannot read: a CLIENT_INVALID_FRAME error, and the connection goes on. */
class FrameError extends Error {}

/** Deepest filters compared (seed 002's are two levels; the gateway refuses client messages over 16). */
const MAX_FILTER_DEPTH = 16;

/** Longest event id accepted: the gateway publishes ids of at most 128 characters (PUBLISH_LIMITS.idMax); twice that, for headroom. */
export const MAX_EVENT_ID_CHARS = 256;

function canonical(value: unknown, depth = 0): string {
  if (depth > MAX_FILTER_DEPTH) throw new FrameError(`the gateway sent filters nested deeper than ${MAX_FILTER_DEPTH} levels`);
  if (Array.isArray(value)) return `[${value.map((v) => canonical(v, depth + 1)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k], depth + 1)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** What a thrown value says, without trusting it (its toString may throw, or be anything). */
function describeThrown(err: unknown): string {
  try {
    const message = err instanceof Error ? err.message : typeof err === 'string' ? err : undefined;
    return typeof message === 'string' ? message.slice(0, 500) : Object.prototype.toString.call(err);
  } catch {
    return 'an unprintable value';
  }
}

/*
 * Position tokens (gateway/src/ws/history/position_token.ts, gateway/RESUME.md): `<header>.<entry>...`,
 * each part canonical base64url. The header is a version byte (1) and a 4-byte epoch; an entry is a
 * topic number (u8), a partition (u16) and the partition's next offset as a varint of 1-8 bytes, so
 * its first four characters name its partition. The client checks each one it is sent: a hostile
 * or broken server cannot grow a subscription's position without bound or move a partition back.
 */
const POSITION_VERSION = 1;
const POSITION_HEADER_BYTES = 5;
/** The gateway's MAX_POSITION_CHARS: a longer token would be refused on resume (INVALID_POSITION). */
export const MAX_POSITION_CHARS = 4096;
/** Partitions one position keeps (the `events` type reads 51). */
export const MAX_POSITION_PARTITIONS = 512;
const MAX_VARINT_BYTES = 8;
const MAX_ENTRY_CHARS = Math.ceil(((3 + MAX_VARINT_BYTES) * 4) / 3);
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The bytes of canonical base64url text (no padding, no stray low bits); undefined otherwise. */
function base64urlBytes(text: string): number[] | undefined {
  if (text.length === 0 || text.length % 4 === 1) return undefined;
  const bytes: number[] = [];
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < text.length; i++) {
    const v = B64URL.indexOf(text[i]!);
    if (v < 0) return undefined;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((acc >> bits) & 0xff);
    }
    acc &= (1 << bits) - 1;
  }
  return acc === 0 ? bytes : undefined;
}

/** The offset a position entry holds; undefined when it is not an entry of the gateway's format. */
function positionEntryOffset(entry: string): number | undefined {
  if (entry.length > MAX_ENTRY_CHARS) return undefined;
  const bytes = base64urlBytes(entry);
  if (!bytes || bytes.length < 4 || bytes.length > 3 + MAX_VARINT_BYTES) return undefined;
  let value = 0;
  let scale = 1;
  for (let i = 3; i < bytes.length; i++) {
    const byte = bytes[i]!;
    value += (byte & 0x7f) * scale;
    scale *= 128;
    const last = (byte & 0x80) === 0;
    if (last !== (i === bytes.length - 1)) return undefined;
    if (last && byte === 0 && i > 3) return undefined; // one offset, one spelling
  }
  return Number.isSafeInteger(value) ? value : undefined;
}

function isPositionHeader(header: string): boolean {
  const bytes = header.length === 7 ? base64urlBytes(header) : undefined;
  return bytes !== undefined && bytes.length === POSITION_HEADER_BYTES && bytes[0] === POSITION_VERSION;
}

/** A whole token, checked: its header and each partition's furthest entry; undefined when malformed or too big. */
function parsePosition(token: string): { header: string; entries: Map<string, string> } | undefined {
  if (token.length > MAX_POSITION_CHARS) return undefined;
  const [header, ...parts] = token.split('.');
  if (!isPositionHeader(header!) || parts.length > MAX_POSITION_PARTITIONS) return undefined;
  const entries = new Map<string, string>();
  for (const entry of parts) {
    const offset = positionEntryOffset(entry);
    if (offset === undefined) return undefined;
    const key = entry.slice(0, 4);
    const held = entries.get(key);
    if (held === undefined || positionEntryOffset(held)! < offset) entries.set(key, entry);
  }
  return { header: header!, entries };
}

/** One subscription; it lives across reconnects until unsubscribe(). */
export class Subscription<T extends SubscriptionType> {
  /** The gateway's id, once acknowledged (the same for the same type and filters). */
  serverId: string | undefined;
  /** Where a resume starts: the newest event id seen on this connection while this subscription was live. */
  resumeId: string | undefined;
  /** The position token's header (its version and Kafka epoch), from the acknowledgement; undefined on the in-memory bus. */
  private positionHeader: string | undefined;
  /** The last position entry per Kafka partition (an entry's first four characters name its partition). */
  private readonly entries = new Map<string, string>();
  /** Characters of `position` (kept under MAX_POSITION_CHARS). */
  private positionChars = 0;
  /**
   * Per partition key: the offset (as an entry holds it, the one after a record) up to which this
   * subscription has every event of its own there: the furthest `pos` it delivered, or its
   * acknowledgement's entry (what came before was handled before it subscribed, or is what it
   * resumes after). Apart from `entries`, which a gateway may set behind it (an instance behind the
   * one left names its own stream's position): Kafka offsets are the same on every instance, so the
   * records in between are ones already delivered. Offsets of another epoch (cluster, topic list)
   * name other records: a new epoch starts it over. At most MAX_POSITION_PARTITIONS partitions.
   */
  private readonly delivered = new Map<string, number>();
  state: 'pending' | 'active' | 'failed' | 'unsubscribed' = 'pending';
  private readonly recent: string[] = [];
  private readonly recentSet = new Set<string>();

  constructor(
    private readonly client: StreamClient,
    readonly type: T,
    readonly filters: Filters,
    private readonly onData: (item: SubscriptionItems[T], meta: DataMeta) => void,
    private readonly window: number,
  ) {}

  get key(): string {
    return `${this.type}\n${canonical(this.filters)}`;
  }

  unsubscribe(): void {
    this.client.remove(this as AnySubscription);
  }

  /**
   * Where this subscription stands in Kafka: what a resume sends, on any gateway instance. The
   * gateway's acknowledgement gives a whole token; each event's `pos` then replaces its
   * partition's entry. Opaque beyond that: undefined until the gateway sent one.
   */
  get position(): string | undefined {
    return this.positionHeader === undefined ? undefined : [this.positionHeader, ...this.entries.values()].join('.');
  }

  /**
   * @internal A whole token from the gateway (an acknowledgement, or the position an unrecoverable
   * resume continues from). Returns false, keeping the position, for one not of the gateway's format.
   */
  resetPosition(token: string): boolean {
    const parsed = parsePosition(token);
    if (!parsed) return false;
    if (parsed.header !== this.positionHeader) this.delivered.clear();
    this.positionHeader = parsed.header;
    this.entries.clear();
    for (const [key, entry] of parsed.entries) {
      this.entries.set(key, entry);
      this.raiseDelivered(key, positionEntryOffset(entry)!);
    }
    this.positionChars = [parsed.header, ...parsed.entries.values()].join('.').length;
    return true;
  }

  /**
   * @internal One event's position entry (already checked by the client). A partition never moves
   * back; a partition beyond MAX_POSITION_PARTITIONS, or one that would make the token longer than
   * MAX_POSITION_CHARS, is not kept (false).
   */
  advance(pos: string): boolean {
    if (this.positionHeader === undefined) return true;
    const offset = positionEntryOffset(pos);
    if (offset === undefined) return false;
    const key = pos.slice(0, 4);
    const held = this.entries.get(key);
    if (held !== undefined) {
      if (positionEntryOffset(held)! > offset) return true; // behind where it stands: kept where it is
      this.positionChars += pos.length - held.length;
    } else {
      if (this.entries.size >= MAX_POSITION_PARTITIONS || this.positionChars + 1 + pos.length > MAX_POSITION_CHARS) return false;
      this.positionChars += 1 + pos.length;
    }
    this.entries.set(key, pos);
    return true;
  }

  /**
   * @internal One event of this subscription with its `pos` (an entry the client checked), if any.
   * Delivered unless this subscription has it already: its `pos` at or behind where it stands on
   * that partition, or its id among the last `dedupeWindow` delivered (a replay overlapping what
   * arrived live, a gateway resending an older stretch). A callback that throws is reported
   * (CLIENT_CALLBACK_THREW), never rethrown. False when `pos` was not kept (see advance).
   */
  deliver(item: SubscriptionItems[T], meta: DataMeta, pos?: string): boolean {
    const had = pos !== undefined && this.hasAt(pos);
    // Advanced even for an event it had: after a position set behind what it delivered, it moves back up.
    const kept = pos === undefined || this.advance(pos);
    if (!had && !this.recentSet.has(meta.id)) this.call(item, meta);
    return kept;
  }

  /**
   * Whether this subscription has the event at `pos` already; when not, it has it from now on.
   * False when its position cannot tell: no token from the gateway yet (no epoch to read offsets
   * in), or a partition beyond MAX_POSITION_PARTITIONS (then the id window judges).
   */
  private hasAt(pos: string): boolean {
    if (this.positionHeader === undefined) return false;
    const offset = positionEntryOffset(pos);
    if (offset === undefined) return false;
    const key = pos.slice(0, 4);
    const held = this.delivered.get(key);
    if (held !== undefined && offset <= held) return true;
    this.raiseDelivered(key, offset);
    return false;
  }

  private raiseDelivered(key: string, offset: number): void {
    const held = this.delivered.get(key);
    if (held === undefined ? this.delivered.size < MAX_POSITION_PARTITIONS : held < offset) this.delivered.set(key, offset);
  }

  private call(item: SubscriptionItems[T], meta: DataMeta): void {
    this.recent.push(meta.id);
    this.recentSet.add(meta.id);
    if (this.recent.length > this.window) this.recentSet.delete(this.recent.shift()!);
    try {
      this.onData(item, meta);
    } catch (err) {
      this.client.callbackThrew(err, `the ${this.type} subscription's callback`, this as AnySubscription);
    }
  }
}

const noToken = () => undefined;

// Subscriptions of every type in one set: their callbacks differ by type, so the set holds any.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- callbacks of every type in one set (above)
type AnySubscription = Subscription<any>;

/**
 * A client of the native multiplexed protocol (`/ws/stream`, seed 002), in the spirit of
 * centrifuge-js: one connection, many subscriptions, automatic reconnect with backoff and jitter,
 * resume from each subscription's Kafka position on any gateway instance, after any restart (no
 * gap, no duplicate for as long as Kafka retains the missed events; `since`, the last id, goes
 * along for the instance's in-memory history), heartbeat, token refresh, and every close code
 * handled as gateway/src/ws/codes.ts documents.
 */
export class StreamClient {
  state: StreamState = 'disconnected';
  /** The gateway's id of this client on the current connection. */
  clientId: string | undefined;
  private ws: WebSocketLike | undefined;
  private readonly subs = new Set<AnySubscription>();
  /** Subscribes sent and not yet answered, oldest first. */
  private pending: AnySubscription[] = [];
  private readonly listeners: { [K in keyof StreamEvents]: Set<Listener<StreamEvents[K]>> } = { state: new Set(), error: new Set() };
  private attempt = 0;
  private wanted = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly opts: Required<Omit<StreamClientOptions, 'token' | 'WebSocket'>>;
  private readonly tokenOf: () => string | undefined | Promise<string | undefined>;
  private readonly WS: WebSocketConstructor;
  /** Set by a 1013 so the next delay honours capacityDelayMs. */
  private atCapacity = false;
  /** When the current connection became `connected` (the backoff starts over once it lasted stableConnectionMs). */
  private connectedAt: number | undefined;
  /** Each pending subscribe's deadline (subscribeTimeoutMs). */
  private readonly subscribeTimers = new Map<AnySubscription, ReturnType<typeof setTimeout>>();
  /** Set while a CLIENT_CALLBACK_THREW is being emitted: a listener throwing then is not reported through it again. */
  private reportingCallback = false;

  constructor(options: StreamClientOptions) {
    this.opts = {
      url: options.url,
      minReconnectDelayMs: options.minReconnectDelayMs ?? 500,
      maxReconnectDelayMs: options.maxReconnectDelayMs ?? 20_000,
      capacityDelayMs: options.capacityDelayMs ?? 5_000,
      pingIntervalMs: options.pingIntervalMs ?? 25_000,
      pongTimeoutMs: options.pongTimeoutMs ?? 10_000,
      refreshBeforeExpiryMs: options.refreshBeforeExpiryMs ?? 60_000,
      dedupeWindow: options.dedupeWindow ?? 2_000,
      stableConnectionMs: options.stableConnectionMs ?? 5_000,
      subscribeTimeoutMs: options.subscribeTimeoutMs ?? 10_000,
      format: options.format ?? 'json',
    };
    const token = options.token;
    this.tokenOf = typeof token === 'function' ? token : token === undefined ? noToken : () => token;
    const WS = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WS) throw new TypeError('no WebSocket implementation: pass `WebSocket` (e.g. from the ws package on Node 20)');
    this.WS = WS;
  }

  on<K extends keyof StreamEvents>(event: K, listener: Listener<StreamEvents[K]>): () => void {
    this.listeners[event].add(listener);
    return () => this.listeners[event].delete(listener);
  }

  /** Subscribes (now when connected, else once connected); the subscription survives reconnects. */
  subscribe<T extends SubscriptionType>(
    type: T,
    options: { filters?: Filters },
    onData: (item: SubscriptionItems[T], meta: DataMeta) => void,
  ): Subscription<T> {
    const sub = new Subscription(this, type, options.filters ?? {}, onData, this.opts.dedupeWindow);
    this.subs.add(sub);
    if (this.state === 'connected') this.sendSubscribe(sub);
    return sub;
  }

  connect(): void {
    if (this.wanted && this.state !== 'closed') return;
    this.wanted = true;
    this.attempt = 0;
    void this.open();
  }

  /** Ends the connection for good (state `closed`); subscriptions stay and resume on connect(). */
  close(): void {
    this.wanted = false;
    clearTimeout(this.reconnectTimer);
    this.connectedAt = undefined;
    this.dropSocket(1000, 'normal closure');
    this.setState('closed', { code: 1000, reason: 'closed by the client' });
  }

  /** @internal Subscription.unsubscribe */
  remove(sub: AnySubscription): void {
    if (!this.subs.delete(sub)) return;
    sub.state = 'unsubscribed';
    clearTimeout(this.subscribeTimers.get(sub));
    this.subscribeTimers.delete(sub);
    const id = sub.serverId;
    const shared = id !== undefined && [...this.subs].some((s) => s.serverId === id);
    if (id !== undefined && !shared && this.state === 'connected') this.send({ type: 'unsubscribe', data: { subscription_id: id } });
  }

  /** Calls each listener on its own: one that throws is reported (CLIENT_CALLBACK_THREW) and the others still run. */
  private emit<K extends keyof StreamEvents>(event: K, ...args: StreamEvents[K]): void {
    for (const l of [...this.listeners[event]]) {
      try {
        l(...args);
      } catch (err) {
        this.callbackThrew(err, `a listener of '${event}'`);
      }
    }
  }

  /**
   * @internal An application callback threw: a CLIENT_CALLBACK_THREW error event, so delivery,
   * positions and the connection go on. With no error listener, or when an error listener throws
   * on that very event, the error goes to `reportError` (browsers, Deno, Bun) or console.error
   * (Node): never rethrown, since an uncaught exception ends a Node process.
   */
  callbackThrew(err: unknown, where: string, subscription?: AnySubscription): void {
    if (this.reportingCallback || this.listeners.error.size === 0) {
      try {
        const report = (globalThis as { reportError?: (e: unknown) => void }).reportError;
        if (typeof report === 'function') report(err);
        else console.error(`@marketpulse/client: ${where} threw`, err);
      } catch {
        // Nowhere left to report it.
      }
      return;
    }
    this.reportingCallback = true;
    try {
      this.emit('error', {
        code: 'CLIENT_CALLBACK_THREW',
        message: `${where} threw: ${describeThrown(err)}`,
        cause: err,
        ...(subscription ? { subscription } : {}),
      });
    } finally {
      this.reportingCallback = false;
    }
  }

  private setState(state: StreamState, info: StateInfo = {}): void {
    if (this.state === state && state !== 'disconnected') return;
    this.state = state;
    this.emit('state', state, info);
  }

  private async open(): Promise<void> {
    if (!this.wanted) return;
    this.setState('connecting');
    let token: string | undefined;
    try {
      token = await this.tokenOf();
    } catch (err) {
      this.emit('error', { code: 'CLIENT_TOKEN', message: `the token getter failed: ${describeThrown(err)}` });
      return this.scheduleReconnect({ reason: 'token getter failed' });
    }
    if (!this.wanted) return;
    let ws: WebSocketLike;
    try {
      const offered = OFFERED[this.opts.format];
      ws = offered.length === 0 ? new this.WS(this.opts.url) : new this.WS(this.opts.url, [...offered]);
      if (this.opts.format === 'protobuf') ws.binaryType = 'arraybuffer';
    } catch (err) {
      this.emit('error', { code: 'CLIENT_URL', message: describeThrown(err) });
      return this.terminal({ reason: 'invalid url' });
    }
    this.ws = ws;
    ws.onopen = () => {
      this.armPing();
      if (token) this.send({ type: 'auth', data: { token } });
      else this.ready(undefined);
      if (token) this.scheduleRefresh(token);
    };
    ws.onmessage = (event) => {
      if (this.ws !== ws) return;
      this.armPing();
      // Whatever a message holds, reading it never throws out of here (an uncaught exception ends a
      // Node process): a failure is a CLIENT_INVALID_FRAME error and the connection goes on.
      try {
        const { data } = event;
        if (typeof data === 'string') return this.receive(data);
        if (data instanceof ArrayBuffer) return this.receiveBinary(new Uint8Array(data));
        if (ArrayBuffer.isView(data)) return this.receiveBinary(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
        this.receive(String(data));
      } catch (err) {
        this.invalidFrame(
          err instanceof FrameError ? err.message : `the gateway sent a message the client could not read (${describeThrown(err)})`,
        );
      }
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.closed(event.code, event.reason);
    };
    ws.onerror = () => {};
  }

  /** Authenticated (or no credential needed): (re)subscribe everything, resuming where each stopped. */
  private ready(clientId: string | undefined): void {
    const wasConnected = this.state === 'connected';
    this.clientId = clientId;
    // The backoff starts over only once this connection lasted (scheduleReconnect), not here: a
    // gateway that closes right after auth_success would otherwise be reconnected to every 0.5 s.
    if (!wasConnected) this.connectedAt = Date.now();
    this.atCapacity = false;
    this.setState('connected');
    if (wasConnected) return; // a token refresh: the subscriptions are live
    this.pending = [];
    for (const sub of this.subs) {
      if (sub.state === 'failed') continue;
      sub.state = 'pending';
      this.sendSubscribe(sub);
    }
  }

  private sendSubscribe(sub: AnySubscription): void {
    this.pending.push(sub);
    clearTimeout(this.subscribeTimers.get(sub));
    this.subscribeTimers.set(
      sub,
      setTimeout(() => this.subscribeTimedOut(sub), this.opts.subscribeTimeoutMs),
    );
    const position = sub.position;
    this.send({
      type: 'subscribe',
      data: {
        type: sub.type,
        filters: sub.filters,
        ...(sub.resumeId ? { since: sub.resumeId } : {}),
        ...(position !== undefined ? { position } : {}),
      },
    });
  }

  /** No `subscribed` nor error for a subscribe within subscribeTimeoutMs: the connection is not trusted, it is replaced. */
  private subscribeTimedOut(sub: AnySubscription): void {
    this.subscribeTimers.delete(sub);
    if (!this.pending.includes(sub) || !this.subs.has(sub)) return;
    this.emit('error', {
      code: 'CLIENT_SUBSCRIBE_TIMEOUT',
      message: `the gateway did not answer the ${sub.type} subscribe within ${this.opts.subscribeTimeoutMs} ms`,
      subscription: sub,
    });
    if (!this.ws) return; // a listener closed the client
    this.dropSocket(4000, 'subscribe timeout');
    this.pending = [];
    this.connectedAt = undefined; // a connection that does not answer a subscribe proved nothing: the backoff goes on growing
    if (this.wanted) this.scheduleReconnect({ code: 4000, reason: 'subscribe timeout' });
  }

  private answered(sub: AnySubscription): void {
    clearTimeout(this.subscribeTimers.get(sub));
    this.subscribeTimers.delete(sub);
  }

  private clearSubscribeTimers(): void {
    for (const timer of this.subscribeTimers.values()) clearTimeout(timer);
    this.subscribeTimers.clear();
  }

  private invalidFrame(message: string): void {
    this.emit('error', { code: 'CLIENT_INVALID_FRAME', message });
  }

  private receive(text: string): void {
    let msg: {
      type?: unknown;
      data?: Record<string, unknown>;
      subscription_id?: unknown;
      id?: unknown;
      pos?: unknown;
      position?: unknown;
      timestamp?: unknown;
      trace_id?: unknown;
    };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      return this.emit('error', { code: 'CLIENT_INVALID_JSON', message: 'the gateway sent a message that is not JSON' });
    }
    // An array is a compact data message (marketpulse.v1.compact); every other message is an object.
    if (Array.isArray(msg))
      return this.decoded(() => decodeCompactData(msg as unknown[]), 'a JSON array that is not a compact data message');
    if (!isRecord(msg)) throw new FrameError('the gateway sent JSON that is not a message object');
    // Every value below is the server's: read by its type, never through String() (an object's
    // own toString or valueOf would run, or throw).
    const data = isRecord(msg.data) ? msg.data : {};
    switch (msg.type) {
      case 'auth_success':
        return this.ready(typeof data.client_id === 'string' ? data.client_id : undefined);
      case 'auth_failed':
        // The gateway closes with 1008 next; that close is terminal.
        return this.emit('error', {
          code: 'AUTH_FAILED',
          message: typeof data.error === 'string' ? data.error : ERROR.AUTH_FAILED.message,
        });
      case 'subscribed': {
        if (typeof data.type !== 'string') throw new FrameError('the gateway sent a subscribed message without its type');
        const serverId = msg.subscription_id ?? data.subscription_id;
        if (typeof serverId !== 'string') throw new FrameError('the gateway sent a subscribed message without a subscription id');
        if (msg.position !== undefined && typeof msg.position !== 'string')
          throw new FrameError('the gateway sent a subscribed message whose position is not text');
        const key = `${data.type}\n${canonical(data.filters ?? {})}`;
        const at = this.pending.findIndex((s) => s.key === key);
        const sub = at >= 0 ? this.pending.splice(at, 1)[0]! : undefined;
        if (sub) this.answered(sub);
        if (sub && this.subs.has(sub)) {
          sub.serverId = serverId;
          sub.state = 'active';
          // The gateway's newest event before this subscription: a resume point before any event arrives.
          if (sub.resumeId === undefined && this.isEventId(msg.id)) sub.resumeId = msg.id;
          // Where it stands: from this subscription's start, or the position it resumes from.
          if (typeof msg.position === 'string' && !sub.resetPosition(msg.position))
            throw new FrameError('the gateway acknowledged a subscription with a position not of its format (kept the previous one)');
        }
        return;
      }
      case 'unsubscribed': {
        // Also sent unasked when a narrower credential may no longer read a subscription.
        const id = data.subscription_id;
        const reason = data.reason;
        if (typeof id !== 'string') throw new FrameError('the gateway sent an unsubscribed message without a subscription id');
        if (reason === undefined) return;
        if (typeof reason !== 'string') throw new FrameError('the gateway sent an unsubscribed message whose reason is not text');
        for (const sub of this.subs) {
          if (sub.serverId !== id) continue;
          sub.state = 'failed';
          this.subs.delete(sub);
          this.emit('error', { code: reason, message: `subscription ${sub.type} ended by the gateway`, subscription: sub });
        }
        return;
      }
      case 'data':
        return this.data(msg.subscription_id, data, msg);
      case 'pong':
      case 'ping':
        return;
      case 'error': {
        const code = typeof data.code === 'string' ? data.code : 'UNKNOWN';
        const error = typeof data.error === 'string' ? data.error : code;
        const message = typeof data.detail === 'string' && data.detail !== '' ? `${error}: ${data.detail}` : error;
        // A resume that could not be (CANNOT_RECOVER, INVALID_POSITION) names where the live stream continues from.
        let badPosition = false;
        if (typeof data.position === 'string' && typeof data.subscription_id === 'string')
          for (const sub of this.subs) if (sub.serverId === data.subscription_id && !sub.resetPosition(data.position)) badPosition = true;
        let subscription: AnySubscription | undefined;
        if (SUBSCRIBE_ERRORS.has(code) && this.pending.length > 0) {
          subscription = this.pending.shift()!;
          this.answered(subscription);
          subscription.state = 'failed';
          this.subs.delete(subscription);
        }
        this.emit('error', { code, message, ...(subscription ? { subscription } : {}) });
        if (badPosition) throw new FrameError(`the gateway's ${code} named a position not of its format (kept the previous one)`);
        return;
      }
    }
  }

  /** A JSON `data` message: its item is completed per subscription (stream_items.ts). */
  private data(
    serverId: unknown,
    data: Record<string, unknown>,
    msg: { id?: unknown; pos?: unknown; timestamp?: unknown; trace_id?: unknown },
  ): void {
    // An `events` item carries the event's id and time (seed 002's event_id, timestamp), so its
    // message has none of its own (issue 19); a typed item's message does.
    const event = isRecord(data.event) ? data.event : {};
    const id = msg.id ?? event.event_id;
    if (id === undefined) return;
    if (typeof serverId !== 'string') throw new FrameError('the gateway sent a data message without a subscription id');
    if (msg.pos !== undefined && typeof msg.pos !== 'string') throw new FrameError('the gateway sent a data message whose pos is not text');
    const timestamp = msg.timestamp ?? event.timestamp;
    const meta: DataMeta = {
      id: id as string, // checked in dispatchData
      subscriptionId: serverId,
      timestamp: typeof timestamp === 'string' ? timestamp : '',
      ...(typeof msg.trace_id === 'string' ? { traceId: msg.trace_id } : {}),
    };
    this.dispatchData(meta, msg.pos, (sub) => data[ITEM_FIELD[sub.type as SubscriptionType]]);
  }

  /** An event id the client keeps (for dedupe and resume): text of 1 to MAX_EVENT_ID_CHARS characters. */
  private isEventId(id: unknown): id is string {
    return typeof id === 'string' && id.length > 0 && id.length <= MAX_EVENT_ID_CHARS;
  }

  /** A binary `data` message (`marketpulse.v1.proto`): one StreamData. */
  private receiveBinary(bytes: Uint8Array): void {
    this.decoded(() => decodeBinaryData(bytes), 'a binary message that is not a StreamData');
  }

  /** A binary or compact `data` message: decoded, or a CLIENT_INVALID_FRAME error naming `what` the gateway sent. */
  private decoded(decode: () => DecodedData, what: string): void {
    let decoded: DecodedData;
    try {
      decoded = decode();
    } catch {
      throw new FrameError(`the gateway sent ${what}`);
    }
    // A StreamData without its event has no id (decodeCompactData refuses a compact frame without one): nothing to deliver.
    if (!decoded.id) return;
    const meta: DataMeta = {
      id: decoded.id,
      subscriptionId: decoded.subscriptionId,
      timestamp: decoded.timestamp,
      ...(decoded.traceId !== undefined ? { traceId: decoded.traceId } : {}),
    };
    this.dispatchData(meta, decoded.pos, (sub) => decoded.item(sub.type as SubscriptionType, sub.filters));
  }

  /**
   * Checks the whole message first (its id, each subscription's item: a bad one is a
   * CLIENT_INVALID_FRAME and nothing is delivered), then delivers it to each subscription; a
   * callback that throws stops neither the others nor the position. A `pos` not of the gateway's
   * format, or beyond what a position keeps, moves no position and is a CLIENT_INVALID_FRAME too.
   */
  private dispatchData(meta: DataMeta, pos: string | undefined, itemOf: (sub: AnySubscription) => unknown): void {
    if (!this.isEventId(meta.id))
      throw new FrameError(`the gateway sent a data message whose event id is not text of 1-${MAX_EVENT_ID_CHARS} characters`);
    // A `pos` not of the gateway's format is not kept (the event still is: a resume may replay it, and dedupe drops it).
    const posOk = !pos || positionEntryOffset(pos) !== undefined;
    const deliveries: Array<[AnySubscription, unknown]> = [];
    for (const sub of this.subs) {
      if (sub.serverId !== meta.subscriptionId) continue;
      const item = itemOf(sub);
      if (item === undefined) continue;
      try {
        deliveries.push([sub, completeItem(sub.type as SubscriptionType, sub.filters, item)]);
      } catch (err) {
        throw new FrameError(`the gateway sent a data message whose item is not an item (${describeThrown(err)})`);
      }
    }
    let kept = true;
    for (const [sub, item] of deliveries) {
      if (!this.subs.has(sub)) continue; // unsubscribed by an earlier callback
      // Each by its own position: subscriptions sharing the gateway's subscription get each other's
      // replays, whose events one of them may have had for long (or never wanted: from before it subscribed).
      if (!sub.deliver(item as never, meta, pos && posOk ? pos : undefined)) kept = false;
    }
    // Every live subscription saw everything up to this event that concerned it: it resumes after it.
    for (const sub of this.subs) if (sub.state === 'active') sub.resumeId = meta.id;
    if (!posOk) throw new FrameError('the gateway sent a data message whose pos is not a position entry of its format (not kept)');
    if (!kept)
      throw new FrameError(
        `a position keeps at most ${MAX_POSITION_PARTITIONS} partitions and ${MAX_POSITION_CHARS} characters: this event's pos was not kept`,
      );
  }

  private closed(code: number, reason: string): void {
    clearTimeout(this.pingTimer);
    clearTimeout(this.refreshTimer);
    this.clearSubscribeTimers();
    this.pending = [];
    if (!this.wanted) return this.setState('closed', { code, reason });
    if (!closeAllowsReconnect(code, reason)) {
      this.emit('error', { code: `CLOSE_${code}`, message: reason || `closed with ${code}` });
      return this.terminal({ code, reason });
    }
    if (code === CLOSE.AT_CAPACITY.code) this.atCapacity = true;
    this.scheduleReconnect({ code, reason });
  }

  private terminal(info: StateInfo): void {
    this.wanted = false;
    this.setState('closed', info);
  }

  /** Exponential backoff with full jitter over its upper half, so a restarted gateway is not stormed. */
  private scheduleReconnect(info: StateInfo): void {
    const { minReconnectDelayMs: min, maxReconnectDelayMs: max, capacityDelayMs, stableConnectionMs } = this.opts;
    // A connection that lasted proved the gateway healthy: the backoff starts over. One that failed
    // within stableConnectionMs (closed on open, or right after auth_success) counts as a failed attempt.
    if (this.connectedAt !== undefined && Date.now() - this.connectedAt >= stableConnectionMs) this.attempt = 0;
    this.connectedAt = undefined;
    const ceiling = Math.min(max, min * 2 ** this.attempt);
    let delay = ceiling / 2 + Math.random() * (ceiling / 2);
    if (this.atCapacity) delay = Math.max(delay, capacityDelayMs * (0.5 + Math.random()));
    this.attempt++;
    this.setState('disconnected', { ...info, retryInMs: Math.round(delay) });
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.open(), delay);
  }

  private send(msg: object): void {
    if (this.ws && this.ws.readyState === 1) this.ws.send(JSON.stringify(msg));
  }

  /** A ping after a quiet pingIntervalMs; nothing back within pongTimeoutMs means the link is dead. */
  private armPing(): void {
    clearTimeout(this.pingTimer);
    this.pingTimer = setTimeout(() => {
      this.send({ type: 'ping' });
      this.pingTimer = setTimeout(() => {
        this.emit('error', { code: 'CLIENT_HEARTBEAT_TIMEOUT', message: `no message within ${this.opts.pongTimeoutMs} ms of a ping` });
        this.dropSocket(4000, 'heartbeat timeout');
        if (this.wanted) this.scheduleReconnect({ code: 4000, reason: 'heartbeat timeout' });
      }, this.opts.pongTimeoutMs);
    }, this.opts.pingIntervalMs);
  }

  /** Re-authenticates on the open connection before the JWT expires (an API key never does). */
  private scheduleRefresh(token: string): void {
    clearTimeout(this.refreshTimer);
    const exp = jwtExpiry(token);
    if (exp === undefined) return;
    const due = Math.max(1000, exp * 1000 - Date.now() - this.opts.refreshBeforeExpiryMs);
    this.refreshTimer = setTimeout(() => void this.refresh(token), due);
  }

  /** Sends `auth` with a fresh token when the token source has one. */
  private async refresh(token: string): Promise<void> {
    let fresh: string | undefined;
    try {
      fresh = await this.tokenOf();
    } catch {
      fresh = undefined;
    }
    // No fresh token: the gateway closes with 1008 "token expired" at exp, and the reconnect asks again.
    if (!fresh || fresh === token || this.state !== 'connected') return;
    this.send({ type: 'auth', data: { token: fresh } });
    this.scheduleRefresh(fresh);
  }

  private dropSocket(code: number, reason: string): void {
    clearTimeout(this.pingTimer);
    clearTimeout(this.refreshTimer);
    this.clearSubscribeTimers();
    const ws = this.ws;
    this.ws = undefined;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = null;
    try {
      ws.close(code, reason);
    } catch {
      // Already closed.
    }
  }
}

/** A stream client for the native protocol; call connect() to start. */
export function createStreamClient(options: StreamClientOptions): StreamClient {
  return new StreamClient(options);
}
