import type { Duplex } from 'node:stream';
import type { Logger } from '@marketpulse/runtime';
import type { WebSocket } from 'ws';
import { canRead, type Principal } from '../auth';
import { EVENTS_CHANNEL } from '../visibility';
import { CLOSE, type CloseCodeEntry, type ErrorName } from './codes';
import type { WsCounters } from './counters';
import type { Door } from './doors/door';
import { jsonFrame, PROTOCOL_PING, type Frame } from './encode';
import type { AppPing } from './heartbeat';
import type { Publication } from './history';
import type { KafkaResume, ResumeStart, ResumeTarget } from './history/kafka_resume';
import { replayFromMemory } from './history/memory_replay';
import type { ResumableEncoder } from './history/replay_encoders';
import { frameCount, framesOf, wireOf, type ReplayFrames } from './history/replay_frames';
import type { ReplayPacing } from './history/replay_pacing';
import type { ResumeMetrics } from './history/resume_metrics';
import { isTypeChannel } from './history/type_channel';
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
  /** How a resume bigger than one chunk is sent, from memory or Kafka (history/replay_pacing.ts). */
  readonly replayPacing: ReplayPacing;
  readonly resumeMetrics?: ResumeMetrics;
  readonly logger?: Logger;
  readonly onClosed: (conn: Connection) => void;
  /** Told of every authentication or channel refusal, with the reason (the access log's warn line). */
  readonly onRefused?: (conn: Connection, name: ErrorName, detail: string | undefined) => void;
}

/** Live frames held during replays (Kafka read-backs, memory replays past one chunk), and what each does when they are dropped. */
interface Hold {
  frames: Frame[];
  /** Per frame, the subscription it came through; undefined for the connection's own (an app ping, a requested forecast). */
  owners: (Membership | undefined)[];
  bytes: number;
  /** The read-backs running: what each does when the frames are dropped, and the subscription (encoder key and channels) it catches up. */
  onDrop: { run: () => void; channels: readonly string[]; key: string }[];
}

/** Where a client asks to resume: the last event id it saw, its position token, or both. */
export interface ResumeFrom {
  readonly since?: string;
  readonly position?: string;
  /** The stream door's subscription being resumed: errors about it name it. */
  readonly subscriptionId?: string;
}

/** Characters of an error's detail sent to the client and logged. */
const MAX_DETAIL = 200;

/**
 * A detail may quote the client (its message type, a symbol, a token's header): never more than a
 * line of it, to the client or to the log.
 */
export function boundedDetail(detail: string): string;
export function boundedDetail(detail: string | undefined): string | undefined;
export function boundedDetail(detail: string | undefined): string | undefined {
  return detail !== undefined && detail.length > MAX_DETAIL ? `${detail.slice(0, MAX_DETAIL)}…` : detail;
}

/** Errors that refuse a client something it asked for: logged with their reason. */
const REFUSALS: ReadonlySet<ErrorName> = new Set(['AUTH_REQUIRED', 'AUTH_FAILED', 'CHANNEL_FORBIDDEN']);

/**
 * One client as the doors see it: its transport and queue (the SendQueue it extends), its claims
 * and the hub subscriptions it holds. Delivering to it is a queue push; it leaves every channel
 * when the socket closes. Everything a connection needs lives in this one object (see session.ts
 * for the rest of it): at 10,000 clients each object, closure and field is paid 10,000 times.
 */
export class Connection<S extends ConnectionShared = ConnectionShared> extends SendQueue implements Subscriber, ResumeTarget {
  /** The heartbeat's currentBeat() when anything (message, pong frame) last arrived; at the open at first. */
  lastSeenBeat: number;
  /** Undefined until the connection is authenticated (or admitted anonymously). */
  principal: Principal | undefined = undefined;
  /** Hub subscriptions held: most connections hold one, so an array only for two or more. */
  private memberships: Membership | Membership[] | undefined = undefined;
  private closing = false;
  /** While Kafka read-backs catch the client up (subscribeFrom): the live frames held meanwhile. */
  private hold: Hold | undefined = undefined;
  /**
   * Subscriptions (encoder keys) being resumed from Kafka, each with the token of its resume: the wait
   * for this instance's stream to reach the position, then the read-back. Leaving the subscription's
   * last channel drops the entry, which ends them (a subscription left and taken again gets a new token, never the old read-back).
   */
  private resuming: Map<string, object> | undefined = undefined;

  constructor(
    readonly id: string,
    readonly door: Door,
    protected readonly ws: WebSocket,
    /** The upgraded socket (the same one ws reads), written directly when nothing is compressed. */
    socket: Duplex,
    protected readonly shared: S,
    /** currentBeat() at the open. */
    beat: number,
    /** The client's address (http/client_address.ts: the TCP peer, or behind TRUSTED_PROXIES the forwarded client): what its per-address limits count. */
    readonly address: string,
  ) {
    super(ws.extensions.includes('permessage-deflate') ? new DeflateSink(ws) : socket);
    this.lastSeenBeat = beat;
  }

  get isOpen(): boolean {
    return !this.closing;
  }

  /** The subprotocol chosen at the handshake (Door.subprotocols); '' when none. */
  get subprotocol(): string {
    return this.ws.protocol;
  }

  /** `from`: the subscription the frame came through (the hub's group), so leaving it drops what is held of it. */
  deliver(frame: Frame, from?: Membership): void {
    if (this.closing) return;
    const hold = this.hold;
    if (hold) {
      if (hold.bytes + frame.byteLength <= this.queueLimitBytes) {
        hold.frames.push(frame);
        hold.owners.push(from);
        hold.bytes += frame.byteLength;
        return;
      }
      // Too much arrives live meanwhile (a backlog): drop it, and the read-backs read it from Kafka
      // too; unless the connection holds a subscription no read-back covers (then it is a slow client).
      const covered = new Set(hold.onDrop.flatMap((d) => d.channels));
      if (!this.channelsHeld().every((c) => covered.has(c))) return this.onOverflow();
      hold.frames = [];
      hold.owners = [];
      hold.bytes = 0;
      for (const dropped of hold.onDrop) dropped.run();
      return;
    }
    this.replay(frame);
  }

  /** Sends a read-back's chunk now, past the live frames it holds: one write when the socket takes frames as they are. */
  replayFrames(frames: ReplayFrames): void {
    if (this.closing) return;
    // Frame by frame where the transport needs each message, or where one chunk of big events would
    // count as a backlog past the queue's limit: the queue writes a burst out as it fills instead.
    if (!this.writesWire || frames.wire.byteLength > this.queueLimitBytes / 2) {
      for (const frame of framesOf(frames)) this.replay(frame);
      return;
    }
    if (this.push(wireOf(frames))) this.counted(frameCount(frames), frames.payloadBytes);
  }

  /** Sends now, past the live frames a read-back holds. */
  replay(frame: Frame): void {
    if (this.closing) return;
    if (this.push(frame)) this.counted(1, frame.byteLength);
  }

  private counted(messages: number, bytes: number): void {
    const { counters } = this.shared;
    counters.messages_sent += messages;
    counters.bytes_sent += bytes;
  }

  /**
   * A reply to the client's own message (pong, `subscribed`, an error, a welcome): sent now, past the
   * live frames a read-back holds, so a catch-up never delays it. Data keeps its order (deliver, replayFrames).
   */
  send(message: object): void {
    this.replay(jsonFrame(message));
  }

  /** A message that is data of the connection's own (a requested forecast): in order with the live frames held. */
  sendAfterData(message: object): void {
    this.deliver(jsonFrame(message));
  }

  sendError(name: ErrorName, detail?: string, fields?: Readonly<Record<string, unknown>>): void {
    const bounded = boundedDetail(detail);
    if (REFUSALS.has(name)) this.shared.onRefused?.(this, name, bounded);
    this.send(this.door.error(name, bounded, fields));
  }

  protocolPing(): void {
    if (!this.closing) this.ws.ping();
  }

  /**
   * The heartbeat's protocol ping and then its app ping, both behind the frames already queued. On
   * a socket written directly they are one frame of wire bytes in the queue, so a beat costs the
   * connection one write, with whatever else its burst queued (issue 19: the protocol ping written
   * on its own doubled a beat's system calls). While a read-back holds live frames, the app ping
   * waits with them, as data does.
   */
  pingWithApp(ping: AppPing): void {
    if (this.closing) return;
    if (!this.writesWire) {
      // Compressed frames go through ws one by one: the protocol ping goes at once, as it always has.
      this.ws.ping();
      this.deliver(ping.message);
    } else if (this.hold) {
      this.push(PROTOCOL_PING);
      this.deliver(ping.message);
    } else if (this.push(ping.withProtocolPing)) this.counted(1, ping.message.byteLength);
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

  /**
   * Leaves `channels` of one subscription (its encoder key). Whatever a read-back holds of them is
   * dropped now, and once the subscription holds none of its channels its read-back stops and holds
   * nothing any more. So the reply that says it was left (`unsubscribed`, a seed door's `connected`
   * for another symbol, CHANNEL_FORBIDDEN after a re-authentication) can go out at once and be the
   * last the client hears of it. Dropping rather than sending those events before the reply: the
   * client asked to leave, and a reply held behind a read-back (of any subscription, for as long as
   * it runs) is what replies must not wait for. The subscriptions it keeps lose nothing.
   */
  unsubscribe(channels: readonly string[], encoderKey: string): void {
    const left: Membership[] = [];
    for (const channel of channels) {
      const membership = this.leave(channel, encoderKey);
      if (membership) left.push(membership);
    }
    const ended = !this.memberOf(encoderKey);
    // Ends its read-back, or its wait for this instance's stream to reach its position (subscribeFrom).
    if (ended) this.resuming?.delete(encoderKey);
    const hold = this.hold;
    if (!hold) return;
    if (left.length > 0) this.dropHeld(hold, left);
    if (!ended) return;
    hold.onDrop = hold.onDrop.filter((d) => d.key !== encoderKey);
    if (hold.onDrop.length === 0) this.releaseHeld(hold);
  }

  /** Leaves one channel's group; returns the membership left, if it was held. */
  private leave(channel: string, encoderKey: string): Membership | undefined {
    const held = this.memberships;
    const matches = (m: Membership) => m.channel === channel && m.encoder.key === encoderKey;
    if (held === undefined) return undefined;
    let left: Membership;
    if (!Array.isArray(held)) {
      if (!matches(held)) return undefined;
      left = held;
      this.memberships = undefined;
    } else {
      const i = held.findIndex(matches);
      if (i < 0) return undefined;
      left = held.splice(i, 1)[0]!;
    }
    this.shared.hub.unsubscribe(channel, encoderKey, this);
    return left;
  }

  private memberOf(encoderKey: string): boolean {
    const held = this.memberships;
    if (held === undefined) return false;
    return Array.isArray(held) ? held.some((m) => m.encoder.key === encoderKey) : held.encoder.key === encoderKey;
  }

  /** Drops the held frames that came through these memberships. */
  private dropHeld(hold: Hold, left: readonly Membership[]): void {
    const frames: Frame[] = [];
    const owners: (Membership | undefined)[] = [];
    let bytes = 0;
    for (let i = 0; i < hold.frames.length; i++) {
      const owner = hold.owners[i];
      if (owner !== undefined && left.includes(owner)) continue;
      frames.push(hold.frames[i]!);
      owners.push(owner);
      bytes += hold.frames[i]!.byteLength;
    }
    hold.frames = frames;
    hold.owners = owners;
    hold.bytes = bytes;
  }

  /**
   * After a re-authentication narrowed the principal: leaves every channel it may no longer read
   * and returns their names. The `events` firehose stays: the hub filters it per principal.
   */
  leaveUnreadable(): string[] {
    const held = this.memberships;
    const principal = this.principal;
    if (held === undefined || principal === undefined) return [];
    const left: string[] = [];
    for (const m of Array.isArray(held) ? [...held] : [held]) {
      if (m.channel === EVENTS_CHANNEL || isTypeChannel(m.channel) || canRead(principal, m.channel)) continue;
      this.unsubscribe([m.channel], m.encoder.key);
      left.push(m.channel);
    }
    return left;
  }

  /** Whether it holds any hub subscription. */
  get subscribed(): boolean {
    return this.memberships !== undefined && (!Array.isArray(this.memberships) || this.memberships.length > 0);
  }

  /**
   * Subscribes to `channels`, first replaying what the client missed when it resumes (`from`).
   * With a position token: from the history when it still holds everything past it, otherwise read
   * back from Kafka. Without one: from the history when it holds the `since` id, otherwise from
   * Kafka at the id's position in this instance's index. A replay from memory happens in this tick,
   * so nothing published meanwhile is lost or doubled (past one chunk paced, with the live frames
   * held: history/memory_replay.ts); a read-back holds the live frames until it is done
   * (history/kafka_resume.ts). CANNOT_RECOVER or INVALID_POSITION when neither can, and the live
   * stream. `announce` sends the door's acknowledgement first, with the position the client
   * stands at (undefined on the in-memory bus).
   */
  subscribeFrom(
    channels: readonly string[],
    encoder: ResumableEncoder,
    from: ResumeFrom,
    announce: (position: string | undefined) => void,
  ): void {
    const { hub, counters, resumeMetrics } = this.shared;
    const kafka = hub.kafkaResume;
    const live = () => {
      for (const channel of channels) this.subscribe(channel, encoder);
    };
    if (from.since === undefined && from.position === undefined) {
      announce(kafka?.positionNow(channels));
      return live();
    }
    let start: ResumeStart | undefined;
    let refused: { code: ErrorName; detail: string } | undefined;
    if (from.position !== undefined) {
      const decoded = kafka
        ? kafka.fromPosition(from.position, channels)
        : { ok: false as const, code: 'CANNOT_RECOVER' as const, detail: 'positions need the Kafka bus; continuing with live messages' };
      if (decoded.ok) start = { frontier: decoded.frontier, label: 'position', subscriptionId: from.subscriptionId };
      else refused = decoded;
    }
    if (start && kafka && !kafka.aheadOf(start.frontier)) {
      // A position says what the client was sent on whichever instance, in whatever order that one
      // interleaved the partitions; its `since` only places it in this instance's order. The memory
      // serves it when it still holds everything past the position.
      const recovery = hub.recoverFrom(channels, start.frontier, this.principal);
      if (recovery.recovered) {
        counters.resume_recovered++;
        announce(kafka.positionOf(start.frontier));
        this.replayMissed(recovery.publications, channels, encoder, from, 'position', recovery.unsent);
        return live();
      }
    } else if (!start && from.since !== undefined) {
      const recovery = hub.recover(channels, from.since, this.principal);
      if (recovery.recovered) {
        counters.resume_recovered++;
        const frontier = kafka?.fromId(from.since, channels);
        announce(frontier && kafka?.positionOf(frontier));
        this.replayMissed(recovery.publications, channels, encoder, from, `since=${from.since}`);
        return live();
      }
      if (kafka) {
        const frontier = kafka.fromId(from.since, channels);
        if (frontier) start = { frontier, label: `since=${from.since}`, subscriptionId: from.subscriptionId };
      }
    }
    if (!start || !kafka) {
      counters.resume_unrecoverable++;
      const position = kafka?.positionNow(channels);
      announce(position);
      const { code, detail } = refused ?? { code: 'CANNOT_RECOVER' as const, detail: `since=${from.since}; continuing with live messages` };
      resumeMetrics?.read('memory', code === 'CANNOT_RECOVER' ? 'past_retention' : 'failed', 0, 0);
      this.sendError(code, detail, this.positionFields(from, position));
      return live();
    }
    counters.resume_recovered++;
    announce(kafka.positionOf(start.frontier));
    const key = encoder.key;
    const wanted = this.resumeToken(key);
    const resumed: ResumeStart = { ...start, wanted };
    if (!kafka.aheadOf(start.frontier)) return this.readBack(kafka, channels, encoder, resumed);
    // Further on than this instance's stream (the instance the client left was ahead): wait for it.
    void kafka.reach(resumed.frontier, wanted).then((reached) => {
      if (!wanted()) return;
      if (reached) return this.readBack(kafka, channels, encoder, resumed);
      this.resuming?.delete(key);
      const position = kafka.positionNow(channels);
      this.sendError(
        'INVALID_POSITION',
        "the position is ahead of this gateway's stream; continuing with live messages",
        this.positionFields(from, position),
      );
      live();
    });
  }

  /**
   * Sends what a resume found missed in memory, before the live stream that follows in this tick:
   * one chunk at once, more paced with the live frames held (history/memory_replay.ts).
   */
  private replayMissed(
    missed: readonly Publication[],
    channels: readonly string[],
    encoder: ResumableEncoder,
    from: ResumeFrom,
    label: string,
    unsent?: (pub: Publication) => boolean,
  ): void {
    const { hub, resumeMetrics } = this.shared;
    if (missed.length > this.shared.replayPacing.chunk) {
      replayFromMemory(this, {
        missed,
        channels,
        encoder,
        history: hub,
        pacing: this.shared.replayPacing,
        unsent,
        wanted: this.resumeToken(encoder.key),
        label,
        subscriptionId: from.subscriptionId,
        metrics: resumeMetrics,
        logger: this.shared.logger,
      });
      return;
    }
    let replayed = 0;
    for (const pub of missed) {
      const frame = encoder.encode(pub);
      if (!frame) continue;
      this.replay(frame);
      replayed++;
    }
    resumeMetrics?.read('memory', 'recovered', replayed, 0);
  }

  /** Marks the subscription `encoderKey` as resuming; the answer stays true until it is left (or resumed anew). */
  private resumeToken(encoderKey: string): () => boolean {
    const token = {};
    (this.resuming ??= new Map()).set(encoderKey, token);
    return () => this.isOpen && this.resuming?.get(encoderKey) === token;
  }

  private readBack(kafka: KafkaResume, channels: readonly string[], encoder: ResumableEncoder, start: ResumeStart): void {
    kafka.start(this, channels, encoder, start);
    for (const channel of channels) this.subscribe(channel, encoder);
  }

  /** What an error about a resume carries: the subscription, and the position the client continues from. */
  private positionFields(from: ResumeFrom, position: string | undefined): Record<string, unknown> {
    return {
      ...(from.subscriptionId !== undefined ? { subscription_id: from.subscriptionId } : {}),
      ...(position !== undefined ? { position } : {}),
    };
  }

  /** A read-back starts: live frames are held until it is over; `onDrop` runs if they are dropped for size. */
  holdLive(onDrop: () => void, channels: readonly string[], encoderKey: string): void {
    this.hold ??= { frames: [], owners: [], bytes: 0, onDrop: [] };
    this.hold.onDrop.push({ run: onDrop, channels, key: encoderKey });
  }

  private channelsHeld(): string[] {
    const held = this.memberships;
    return held === undefined ? [] : Array.isArray(held) ? held.map((m) => m.channel) : [held.channel];
  }

  /** A read-back is over: once none runs, the live frames held go out, and live ones flow again. */
  release(onDrop: () => void): void {
    const hold = this.hold;
    if (!hold) return;
    hold.onDrop = hold.onDrop.filter((d) => d.run !== onDrop);
    if (hold.onDrop.length === 0) this.releaseHeld(hold);
  }

  private releaseHeld(hold: Hold): void {
    this.hold = undefined;
    for (const frame of hold.frames) this.replay(frame);
  }

  /** Id of the newest message on these channels it may receive: the `id` a welcome message carries for resume. */
  newestId(channels: readonly string[]): string | undefined {
    return this.shared.hub.newestId(channels, this.principal);
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
