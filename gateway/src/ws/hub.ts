import { OrderedMap } from '@marketpulse/runtime';
import type { Principal } from '../auth';
import { mayReceive } from '../visibility';
import type { Frame } from './encode';
import { HubHistory, type ChannelWindow, type Publication } from './history';
import type { KafkaResume } from './history/kafka_resume';
import type { Frontier } from './history/positions';
import { typeChannel } from './history/type_channel';

/** A connection as the hub sees it. `deliver` must not throw and must not wait on the network. */
export interface Subscriber {
  /** Who it is, read at each delivery: visibility (../visibility.ts) follows a re-authentication at once. */
  readonly principal: Principal | undefined;
  /** `from`: the group (channel and encoder) it came through, so a subscriber that leaves it can drop what it holds of it. */
  deliver(frame: Frame, from: Membership): void;
}

/**
 * Turns a publication into one door's message. Subscribers of a channel that share an encoder key
 * share the encoded bytes, so the key must capture everything the bytes depend on (door format,
 * subscription id, filters). `encode` returns null when the publication is not for them. Whether a
 * subscriber may see a publication at all is not the encoder's call: the hub asks mayReceive.
 */
export interface ChannelEncoder {
  readonly key: string;
  encode(pub: Publication): Frame | null;
  /** When set, encode returns null for any publication whose routed value is not among the route's values. */
  readonly route?: Route;
}

/**
 * What lets a publication find the groups that may want it by a lookup instead of offering itself
 * to every group of the channel (issue 19): `values` must include every value of `router.read(pub)`
 * for which `encode(pub)` is not null (compared as Map keys compare). The encoder still decides.
 */
export interface Route {
  readonly router: Router;
  readonly values: readonly unknown[];
}

/** Reads one value of a publication (e.g. its subject). Routers with the same key must read the same value: the hub indexes by key. */
export interface Router {
  readonly key: string;
  read(pub: Publication): unknown;
}

/** A channel's groups routed by one router key, by each value of their routes. */
interface RouteIndex {
  readonly router: Router;
  readonly byValue: Map<unknown, Set<Group>>;
}

/**
 * A channel's subscribers that share an encoder. Subscribing hands it back, so a subscriber
 * remembers what it joined by reference instead of by strings of its own.
 */
export interface Membership {
  readonly channel: string;
  readonly encoder: ChannelEncoder;
}

interface Group extends Membership {
  readonly subscribers: Set<Subscriber>;
}

interface Channel {
  /** Its window over the hub's history. */
  readonly history: ChannelWindow;
  readonly groups: Map<string, Group>;
  /** Groups whose encoder has no route: offered every publication. */
  readonly unrouted: Set<Group>;
  /** Groups with a route, by router, then by each of the route's values. */
  readonly routed: Map<string, RouteIndex>;
  subscribers: number;
}

export type Recovery = { recovered: true; publications: Publication[] } | { recovered: false };

/** recoverFrom()'s answer: with what the client was not sent, for a paced replay's later reads. */
export type PositionRecovery =
  { recovered: true; publications: Publication[]; unsent: (pub: Publication) => boolean } | { recovered: false };

export interface HubStats {
  channels: number;
  subscriptions: number;
  publications: number;
  duplicates_dropped: number;
  deliveries: number;
  /** Subscriber count per channel that has any. */
  subscribers_by_channel: Record<string, number>;
}

export type PublicationInput = Omit<Publication, 'seq' | 'channels'>;

/** WS_HUB_MAX_IDLE_CHANNELS's default. */
export const DEFAULT_MAX_IDLE_CHANNELS = 10_000;

/** Event types whose type-channel name the hub keeps made; the contracts define a few dozen. */
const MAX_REMEMBERED_TYPES = 256;

/**
 * Channels, their subscribers and their bounded history. A publish encodes once per
 * (channel, encoder key) group and hands the same Frame to each subscriber; it never waits. Its
 * cost grows with the groups its routes lead to, not with the groups a channel holds.
 */
export class Hub {
  /**
   * Reads back from Kafka what the histories no longer hold (set by the gateway on BUS=kafka):
   * every door and tRPC subscription resumes through recover() first, then this.
   */
  kafkaResume: KafkaResume | undefined = undefined;
  private readonly channels = new Map<string, Channel>();
  /** Every publication held once, whatever the number of channels it went to; each channel has a window over it. */
  private readonly history: HubHistory;
  private readonly typeChannels = new Map<string, string>();
  private seq = 0;
  /** Channels without a subscriber (what maxIdleChannels bounds). */
  private idle = 0;
  /** Set when a new channel took `idle` past maxIdleChannels: the publish that made it sweeps, once done. */
  private overCap = false;
  /**
   * Channels dropped by sweep(), each with the newest seq its history held (insertion order is drop
   * order), at most maxIdleChannels of them; `forgottenFloor` is the newest seq of those that fell out
   * of it. A resume across a dropped channel must not take "no history" for "nothing missed".
   */
  private readonly forgotten = new OrderedMap<string, number>();
  private forgottenFloor = 0;
  private publications = 0;
  private duplicates = 0;
  private deliveries = 0;

  /**
   * `afterPublish` runs once per publication, after its deliveries (the send queues' burst check).
   * Each channel keeps at most `historySize` publications, none older than `historyMaxAgeMs`. At most
   * `maxIdleChannels` channels without a subscriber are kept (WS_HUB_MAX_IDLE_CHANNELS): a producer
   * of made-up symbols cannot grow the hub without bound (see sweep).
   */
  constructor(
    historySize: number,
    private readonly afterPublish: () => void = () => {},
    historyMaxAgeMs = Infinity,
    private readonly maxIdleChannels = DEFAULT_MAX_IDLE_CHANNELS,
  ) {
    this.history = new HubHistory(historySize, historyMaxAgeMs);
  }

  /**
   * Holds the event once in the history, in the window of every channel in `channels` and of its
   * type's channel (typeChannel), and fans it out. Returns null (and delivers nothing) when the
   * window of one of those channels still holds the event id: a Kafka redelivery.
   */
  publish(channels: readonly string[], input: PublicationInput): Publication | null {
    // Once per event (issue 19): no spread and map of the channel names, no closure per check.
    const states = new Array<Channel>(channels.length + 1);
    // One lookup in the common case: an id the history holds nowhere is no redelivery.
    const known = this.history.find(input.id) !== undefined;
    let duplicate = false;
    for (let i = 0; i < states.length; i++) {
      const state = this.channel(i < channels.length ? channels[i]! : this.typeChannelOf(input.type));
      if (known && state.history.has(input.id)) duplicate = true;
      states[i] = state;
    }
    if (duplicate) {
      this.duplicates++;
      return null;
    }
    const pub: Publication = { ...input, seq: ++this.seq, channels };
    this.publications++;
    // One clock reading for every window this publication enters.
    const now = Date.now();
    const held = this.history.entry(pub);
    for (const state of states) {
      state.history.append(held, now);
      for (const group of state.unrouted) this.offer(group, pub);
      for (const { router, byValue } of state.routed.values()) {
        const groups = byValue.get(router.read(pub));
        if (groups) for (const group of groups) this.offer(group, pub);
      }
    }
    this.afterPublish();
    // After the appends: a channel this publication entered is never dropped without it.
    if (this.overCap) this.sweep(now);
    return pub;
  }

  /** Encodes once for the group and hands the frame to each of its subscribers that may receive it. */
  private offer(group: Group, pub: Publication): void {
    const frame = group.encoder.encode(pub);
    if (frame === null) return;
    for (const sub of group.subscribers) {
      if (!mayReceive(sub.principal, pub)) continue;
      sub.deliver(frame, group);
      this.deliveries++;
    }
  }

  subscribe(channel: string, encoder: ChannelEncoder, sub: Subscriber): Membership {
    const state = this.channel(channel);
    let group = state.groups.get(encoder.key);
    if (!group) {
      group = { channel, encoder, subscribers: new Set() };
      state.groups.set(encoder.key, group);
      index(state, group);
    }
    if (!group.subscribers.has(sub)) {
      group.subscribers.add(sub);
      if (state.subscribers++ === 0) this.idle--;
    }
    return group;
  }

  unsubscribe(channel: string, encoderKey: string, sub: Subscriber): void {
    const state = this.channels.get(channel);
    const group = state?.groups.get(encoderKey);
    if (!state || !group || !group.subscribers.delete(sub)) return;
    if (--state.subscribers === 0) this.idle++;
    if (group.subscribers.size === 0) {
      state.groups.delete(encoderKey);
      unindex(state, group);
    }
    if (state.subscribers === 0 && state.history.length === 0) this.drop(channel, state);
  }

  /**
   * Drops the channels no one subscribes to whose history has expired (WS_HISTORY_MAX_AGE_MS), then,
   * while more than maxIdleChannels remain, the least recently published of them, down to nine
   * tenths of the bound (so the next sweep for size is a tenth of it new channels away). Runs on the
   * gateway's timer and when a new channel passes the bound, never per publication. What a dropped
   * channel held is still read back from Kafka on resume: recover() answers `recovered: false` for it.
   */
  sweep(now = Date.now()): void {
    this.overCap = false;
    const kept: { name: string; state: Channel; newest: number }[] = [];
    for (const [name, state] of this.channels) {
      if (state.subscribers > 0) continue;
      state.history.expire(now);
      if (state.history.length === 0) this.drop(name, state);
      else kept.push({ name, state, newest: state.history.newest()!.seq });
    }
    if (kept.length <= this.maxIdleChannels) return;
    kept.sort((a, b) => a.newest - b.newest);
    const excess = kept.length - Math.floor(this.maxIdleChannels * 0.9);
    for (let i = 0; i < excess; i++) this.drop(kept[i]!.name, kept[i]!.state);
  }

  /** Forgets a channel without subscribers, remembering the newest seq its history held (see `forgotten`). */
  private drop(name: string, state: Channel): void {
    this.channels.delete(name);
    this.idle--;
    const newest = Math.max(state.history.evictedSeq, state.history.newest()?.seq ?? 0);
    state.history.release();
    if (newest === 0) return;
    this.forgotten.set(name, newest);
    if (this.forgotten.size <= this.maxIdleChannels) return;
    const oldestName = this.forgotten.oldestKey()!;
    this.forgottenFloor = Math.max(this.forgottenFloor, this.forgotten.get(oldestName)!);
    this.forgotten.delete(oldestName);
  }

  /** The newest seq a dropped channel of this name may have held: 0 when it surely held none. */
  private forgottenSeq(name: string): number {
    return this.forgotten.get(name) ?? this.forgottenFloor;
  }

  /**
   * What a client that last saw `sinceId` on these channels missed and may see (mayReceive), oldest
   * first; or `recovered: false` when that id is unknown here or part of what followed it has been
   * evicted.
   */
  recover(channels: readonly string[], sinceId: string, principal: Principal | undefined): Recovery {
    let sinceSeq: number | undefined;
    for (const name of channels) {
      sinceSeq = this.channels.get(name)?.history.get(sinceId)?.seq;
      if (sinceSeq !== undefined) break;
    }
    if (sinceSeq === undefined) return { recovered: false };
    return this.recoverAfter(channels, sinceSeq, principal);
  }

  /**
   * recover() for a client at a Kafka position (`frontier`, not ahead of the live stream): what it
   * was not sent, whichever instance's order it was sent in (KafkaResume.fromMemory); or
   * `recovered: false` when memory no longer holds all of it (Kafka does).
   */
  recoverFrom(channels: readonly string[], frontier: Frontier, principal: Principal | undefined): PositionRecovery {
    const memory = this.kafkaResume?.fromMemory(frontier);
    if (!memory) return { recovered: false };
    const recovery = this.recoverAfter(channels, memory.afterSeq, principal, Infinity, memory.unsent);
    return recovery.recovered ? { ...recovery, unsent: memory.unsent } : recovery;
  }

  /**
   * recover() by seq: what followed the publication numbered `sinceSeq` on these channels, up to
   * `upToSeq` when given (a paced replay's later reads: history/memory_replay.ts), and only what
   * `unsent` takes when given (a resume by Kafka position: KafkaResume.fromMemory).
   */
  recoverAfter(
    channels: readonly string[],
    sinceSeq: number,
    principal: Principal | undefined,
    upToSeq = Infinity,
    unsent?: (pub: Publication) => boolean,
  ): Recovery {
    const missed: Publication[] = [];
    for (const name of channels) {
      const history = this.channels.get(name)?.history;
      if (!history) {
        // Dropped by a sweep after events the client missed: they are gone from memory (Kafka has them).
        if (this.forgottenSeq(name) > sinceSeq) return { recovered: false };
        continue;
      }
      history.expire();
      if (history.evictedSeq > sinceSeq) return { recovered: false };
      for (const pub of history.after(sinceSeq))
        if (pub.seq <= upToSeq && mayReceive(principal, pub) && (!unsent || unsent(pub))) missed.push(pub);
    }
    missed.sort((a, b) => a.seq - b.seq);
    return { recovered: true, publications: dedupe(missed) };
  }

  /** The seq the next publication will get: what the resume index records with each record it hands over. */
  get nextSeq(): number {
    return this.seq + 1;
  }

  /** The number (seq) of the newest publication on any of these channels; 0 when none holds one. */
  newestSeq(channels: readonly string[]): number {
    let newest = 0;
    for (const name of channels) newest = Math.max(newest, this.channels.get(name)?.history.newest()?.seq ?? 0);
    return newest;
  }

  /**
   * Id of the newest publication on any of these channels that `principal` may receive: where a new
   * client would resume from (another user's event would hand it that event's id).
   */
  newestId(channels: readonly string[], principal: Principal | undefined): string | undefined {
    let newest: Publication | undefined;
    const visible = (pub: Publication) => mayReceive(principal, pub);
    for (const name of channels) {
      const pub = this.channels.get(name)?.history.newest(visible);
      if (pub && (!newest || pub.seq > newest.seq)) newest = pub;
    }
    return newest?.id;
  }

  /** Publications held in every channel's window (one held on two channels counts twice). */
  historySizes(): number {
    let held = 0;
    for (const state of this.channels.values()) held += state.history.length;
    return held;
  }

  /** Publications held in memory for the windows, each once (the entries of the history's id index). */
  heldPublications(): number {
    return this.history.size;
  }

  stats(): HubStats {
    const byChannel: Record<string, number> = {};
    let subscriptions = 0;
    for (const [name, state] of this.channels) {
      if (state.subscribers === 0) continue;
      byChannel[name] = state.subscribers;
      subscriptions += state.subscribers;
    }
    return {
      channels: this.channels.size,
      subscriptions,
      publications: this.publications,
      duplicates_dropped: this.duplicates,
      deliveries: this.deliveries,
      subscribers_by_channel: byChannel,
    };
  }

  /**
   * typeChannel's name, made once per type rather than once per event (a name already hashed makes
   * the channel lookup cheaper). Bounded: a bus that carries unexpected types cannot grow it.
   */
  private typeChannelOf(type: string): string {
    let name = this.typeChannels.get(type);
    if (name === undefined) {
      name = typeChannel(type);
      if (this.typeChannels.size < MAX_REMEMBERED_TYPES) this.typeChannels.set(type, name);
    }
    return name;
  }

  private channel(name: string): Channel {
    let state = this.channels.get(name);
    if (!state) {
      // Made again after a sweep: its new history starts out as having lost what the old one held.
      const forgotten = this.forgottenSeq(name);
      this.forgotten.delete(name);
      if (++this.idle > this.maxIdleChannels) this.overCap = true;
      state = {
        history: this.history.window(forgotten),
        groups: new Map(),
        unrouted: new Set(),
        routed: new Map(),
        subscribers: 0,
      };
      this.channels.set(name, state);
    }
    return state;
  }
}

function index(state: Channel, group: Group): void {
  const route = group.encoder.route;
  if (!route) return void state.unrouted.add(group);
  let routed = state.routed.get(route.router.key);
  if (!routed) state.routed.set(route.router.key, (routed = { router: route.router, byValue: new Map() }));
  const { byValue } = routed;
  for (const value of route.values) {
    let groups = byValue.get(value);
    if (!groups) byValue.set(value, (groups = new Set()));
    groups.add(group);
  }
}

function unindex(state: Channel, group: Group): void {
  const route = group.encoder.route;
  if (!route) return void state.unrouted.delete(group);
  const byValue = state.routed.get(route.router.key)?.byValue;
  if (!byValue) return;
  for (const value of route.values) {
    const groups = byValue.get(value);
    if (!groups?.delete(group) || groups.size > 0) continue;
    byValue.delete(value);
  }
  if (byValue.size === 0) state.routed.delete(route.router.key);
}

/** A publication sent to several of the requested channels appears once. */
function dedupe(sorted: Publication[]): Publication[] {
  return sorted.filter((pub, i) => i === 0 || sorted[i - 1] !== pub);
}
