import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { Principal } from '../auth';
import { CLOSE, type CloseCodeEntry, type ErrorName } from './codes';
import type { Door } from './doors/door';
import { jsonFrame, type Frame } from './encode';
import type { ChannelEncoder, Hub, Subscriber } from './hub';
import { SendQueue } from './send_queue';
import { DeflateSink } from './sink_deflate';
import { SocketSink } from './sink_socket';
import type { WsCounters } from './counters';

export interface ConnectionOptions {
  id: string;
  door: Door;
  ws: WebSocket;
  /** The upgraded socket (the same one ws reads), written directly when nothing is compressed. */
  socket: Duplex;
  hub: Hub;
  counters: WsCounters;
  sendQueueBytes: number;
  now: number;
  onClosed: (conn: Connection) => void;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * One client: its transport, its queue, its claims and the hub subscriptions it holds. Delivering
 * to it is a queue push; it is removed from every channel when the socket closes.
 */
export class Connection implements Subscriber {
  readonly id: string;
  readonly door: Door;
  readonly openedAt: number;
  /** Last time anything (message, pong frame) arrived from the client. */
  lastSeen: number;
  /** Undefined until the connection is authenticated (or admitted anonymously). */
  principal: Principal | undefined;
  readonly compressed: boolean;
  private readonly ws: WebSocket;
  private readonly hub: Hub;
  private readonly counters: WsCounters;
  private readonly queue: SendQueue;
  /** Hub subscriptions held; a small array, as most connections hold one or two. */
  private subscriptions: { channel: string; key: string }[] = [];
  private closing = false;
  private expiryTimer: NodeJS.Timeout | undefined;
  private readonly onClosed: (conn: Connection) => void;

  constructor(options: ConnectionOptions) {
    this.id = options.id;
    this.door = options.door;
    this.ws = options.ws;
    this.hub = options.hub;
    this.counters = options.counters;
    this.openedAt = this.lastSeen = options.now;
    this.compressed = options.ws.extensions.includes('permessage-deflate');
    const sink = this.compressed ? new DeflateSink(options.ws) : new SocketSink(options.socket);
    this.queue = new SendQueue(sink, options.sendQueueBytes, () => {
      this.counters.slow_disconnects++;
      this.close(CLOSE.SLOW_CLIENT);
    });
    this.onClosed = options.onClosed;
    options.ws.once('close', () => this.finish());
  }

  get isOpen(): boolean {
    return !this.closing;
  }

  deliver(frame: Frame): void {
    if (this.closing) return;
    if (this.queue.push(frame)) this.counters.messages_sent++;
  }

  send(message: object): void {
    this.deliver(jsonFrame(message));
  }

  sendError(name: ErrorName, detail?: string): void {
    this.send(this.door.error(name, detail));
  }

  protocolPing(): void {
    if (!this.closing) this.ws.ping();
  }

  subscribe(channel: string, encoder: ChannelEncoder): void {
    if (this.closing) return;
    if (!this.subscriptions.some((s) => s.channel === channel && s.key === encoder.key)) {
      this.subscriptions.push({ channel, key: encoder.key });
    }
    this.hub.subscribe(channel, encoder, this);
  }

  unsubscribe(channel: string, encoderKey: string): void {
    const i = this.subscriptions.findIndex((s) => s.channel === channel && s.key === encoderKey);
    if (i < 0) return;
    this.subscriptions.splice(i, 1);
    this.hub.unsubscribe(channel, encoderKey, this);
  }

  /**
   * Subscribes to `channels` and, when `since` is given, first replays what was missed after it (or
   * sends CANNOT_RECOVER). Runs in one tick, so nothing published meanwhile is lost or doubled.
   */
  subscribeFrom(channels: readonly string[], encoder: ChannelEncoder, since: string | undefined): void {
    if (since !== undefined) {
      const recovery = this.hub.recover(channels, since);
      if (recovery.recovered) {
        for (const pub of recovery.publications) {
          const frame = encoder.encode(pub);
          if (frame) this.deliver(frame);
        }
      } else {
        this.sendError('CANNOT_RECOVER', `since=${since}; continuing with live messages`);
      }
    }
    for (const channel of channels) this.subscribe(channel, encoder);
  }

  /** Id of the newest message on these channels: the `id` a welcome message carries for resume. */
  newestId(channels: readonly string[]): string | undefined {
    return this.hub.newestId(channels);
  }

  /**
   * A credential is checked when presented only; the connection ends (1008) when it expires.
   * Replaces any earlier expiry (a new `auth` message). Beyond setTimeout's range (about 24.8
   * days) the connection is left to live.
   */
  expireAt(epochMs: number | undefined): void {
    clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    if (epochMs === undefined || this.closing) return;
    const inMs = Math.max(0, epochMs - Date.now());
    if (inMs > MAX_TIMER_MS) return;
    this.expiryTimer = setTimeout(() => {
      this.counters.auth_failures++;
      this.sendError('AUTH_FAILED', 'token expired; reconnect with a fresh token and ?since=<last id>');
      this.close(CLOSE.TOKEN_EXPIRED);
    }, inMs);
    this.expiryTimer.unref();
  }

  /** Starts the close handshake; the connection stops receiving and leaves every channel at once. */
  close(entry: CloseCodeEntry): void {
    if (this.closing) return;
    this.queue.flushBeforeClose();
    this.finish();
    this.ws.close(entry.code, entry.reason);
  }

  private finish(): void {
    if (this.closing) return;
    this.closing = true;
    clearTimeout(this.expiryTimer);
    for (const { channel, key } of this.subscriptions) this.hub.unsubscribe(channel, key, this);
    this.subscriptions = [];
    this.onClosed(this);
  }
}
