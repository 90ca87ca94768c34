import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { Principal } from '../auth';
import { CLOSE, type CloseCodeEntry, type ErrorName } from './codes';
import type { WsCounters } from './counters';
import type { Door } from './doors/door';
import { jsonFrame, type Frame } from './encode';
import type { ChannelEncoder, Hub, Membership, Subscriber } from './hub';
import { SendQueue } from './send_queue';
import { DeflateSink } from './sink_deflate';

/**
 * What every connection of one gateway shares. One object referenced by each connection, so
 * settings and collaborators cost a connection one field rather than one each.
 */
export interface ConnectionShared {
  readonly hub: Hub;
  readonly counters: WsCounters;
  readonly sendQueueBytes: number;
  readonly onClosed: (conn: Connection) => void;
}

/**
 * One client as the doors see it: its transport and queue (the SendQueue it extends), its claims
 * and the hub subscriptions it holds. Delivering to it is a queue push; it leaves every channel
 * when the socket closes. Everything a connection needs lives in this one object (see session.ts
 * for the rest of it): at 10,000 clients each object, closure and field is paid 10,000 times.
 */
export class Connection<S extends ConnectionShared = ConnectionShared> extends SendQueue implements Subscriber {
  /** Last time anything (message, pong frame) arrived from the client; the open time at first. */
  lastSeen: number;
  /** Undefined until the connection is authenticated (or admitted anonymously). */
  principal: Principal | undefined = undefined;
  /** Hub subscriptions held: most connections hold one, so an array only for two or more. */
  private memberships: Membership | Membership[] | undefined = undefined;
  private closing = false;

  constructor(
    readonly id: string,
    readonly door: Door,
    protected readonly ws: WebSocket,
    /** The upgraded socket (the same one ws reads), written directly when nothing is compressed. */
    socket: Duplex,
    protected readonly shared: S,
    now: number,
  ) {
    super(ws.extensions.includes('permessage-deflate') ? new DeflateSink(ws) : socket);
    this.lastSeen = now;
  }

  get isOpen(): boolean {
    return !this.closing;
  }

  deliver(frame: Frame): void {
    if (this.closing) return;
    if (this.push(frame)) this.shared.counters.messages_sent++;
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
    const joined = this.shared.hub.subscribe(channel, encoder, this);
    const held = this.memberships;
    if (held === undefined) this.memberships = joined;
    else if (!Array.isArray(held)) {
      if (held !== joined) this.memberships = [held, joined];
    } else if (!held.includes(joined)) held.push(joined);
  }

  unsubscribe(channel: string, encoderKey: string): void {
    const held = this.memberships;
    const matches = (m: Membership) => m.channel === channel && m.encoder.key === encoderKey;
    if (held === undefined) return;
    if (!Array.isArray(held)) {
      if (!matches(held)) return;
      this.memberships = undefined;
    } else {
      const i = held.findIndex(matches);
      if (i < 0) return;
      held.splice(i, 1);
    }
    this.shared.hub.unsubscribe(channel, encoderKey, this);
  }

  /**
   * Subscribes to `channels` and, when `since` is given, first replays what was missed after it (or
   * sends CANNOT_RECOVER). Runs in one tick, so nothing published meanwhile is lost or doubled.
   */
  subscribeFrom(channels: readonly string[], encoder: ChannelEncoder, since: string | undefined): void {
    if (since !== undefined) {
      const recovery = this.shared.hub.recover(channels, since);
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
    return this.shared.hub.newestId(channels);
  }

  /** Starts the close handshake; the connection stops receiving and leaves every channel at once. */
  close(entry: CloseCodeEntry): void {
    if (this.closing) return;
    this.flushBeforeClose();
    this.finish();
    this.ws.close(entry.code, entry.reason);
  }

  /** The socket closed (whoever started it). */
  socketClosed(): void {
    this.finish();
  }

  protected override onOverflow(): void {
    this.shared.counters.slow_disconnects++;
    this.close(CLOSE.SLOW_CLIENT);
  }

  protected override get queueLimitBytes(): number {
    return this.shared.sendQueueBytes;
  }

  /** Leaves every channel, once; subclasses release what they hold too. */
  protected finish(): void {
    if (this.closing) return;
    this.closing = true;
    const held = this.memberships;
    this.memberships = undefined;
    const { hub } = this.shared;
    if (Array.isArray(held)) for (const m of held) hub.unsubscribe(m.channel, m.encoder.key, this);
    else if (held !== undefined) hub.unsubscribe(held.channel, held.encoder.key, this);
    this.shared.onClosed(this);
  }
}
