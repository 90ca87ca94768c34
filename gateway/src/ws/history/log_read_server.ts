import { CHANNELS, isSymbolFamily } from '@marketpulse/runtime';
import type { Principal } from '../../auth';
import { mayReceive, type Visible } from '../../visibility';
import { normalizeSymbol } from '../doors/door';
import type { ChannelEncoder } from '../hub';
import { PastRetentionError, type LogRecord, type ReadRange } from './kafka_log';
import { MergedRead, type RangeFetcher } from './merged_read';
import { PositionCodec, type PositionCodecParts } from './position_token';
import { MarketDataTranscoder } from './market_data_transcoder';
import { publicationOfRecord } from './record_publication';
import { encoderOf, type EncoderRecipe } from './replay_encoders';
import { ReplayFramesBuilder, type ReplayFrames } from './replay_frames';
import { typeChannel } from './type_channel';

/** What the read-back thread needs to know of the client it reads for: what it gets and how it is encoded. */
export interface ReadFor {
  /** The client's encoder, built again in the thread. */
  recipe: EncoderRecipe;
  /** The channels it subscribed to: an event of none of them (nor of their type channels) is not for it. */
  channels: string[];
  /** Records per reply: what the gateway's thread writes to the client in one go (WS_RESUME_READ_CHUNK). */
  records: number;
}

/**
 * What the gateway asks of the read-back thread. A read is opened once, then pulled one reply at a
 * time; each pull carries the read's ranges as they are now, since a resume whose held live events
 * were dropped reads further than it first asked (kafka_resume.ts), and the client's principal as
 * it is now.
 */
export type ReadRequest =
  | { op: 'open'; id: number; ranges: ReadRange[]; codec: PositionCodecParts | undefined; client: ReadFor }
  | { op: 'pull'; id: number; ranges: ReadRange[]; principal: Principal | undefined }
  | { op: 'close'; id: number }
  /** Get ready to read these topics (load the modules, connect, learn their leaders) before the first read needs it. */
  | { op: 'warm'; topics: string[] };

/** `end`: every range is read to the `to` the pull carried. `pastRetention`: the partition whose start is gone. */
export type ReadReply =
  { id: number; frames: ReplayFrames; end: boolean } | { id: number; failed: string; pastRetention: string | undefined };

/** A worker's parentPort, or one end of a MessageChannel. */
export interface ReadPort {
  postMessage(reply: ReadReply, transfer?: ArrayBuffer[]): void;
  on(event: 'message', listener: (request: ReadRequest) => void): unknown;
}

interface ServedRead {
  readonly merged: MergedRead;
  readonly positions: PositionCodec | undefined;
  readonly encoder: ChannelEncoder;
  /** For the market-data door: its tick frames written from the records' bytes, bypassing `encoder`. */
  readonly ticks: MarketDataTranscoder | undefined;
  readonly channels: ReadonlySet<string>;
  /** When every channel asked for is one symbol's (`market-data:AAPL`): those symbols (symbolsOnly). */
  readonly symbols: ReadonlySet<string> | undefined;
  readonly records: number;
  /** Ids sent: a Kafka redelivery of an event (same id at another offset) is sent once. */
  readonly seen: Set<string>;
}

/**
 * The read-back, on a thread of its own (log_read_worker.ts): fetching records from Kafka, merging
 * partitions in time order, decoding the events, keeping those of the client's channels that its
 * principal may read, and encoding them as its door does, into the WebSocket frames the gateway's
 * thread writes as they are (replay_frames.ts); for the market-data door, a tick's frame is written
 * straight from its record's bytes (market_data_transcoder.ts). That thread checks visibility again
 * per chunk against the principal as it is then, and paces the client: it pulls one reply ahead of
 * what it sends.
 */
export function serveLogReads(port: ReadPort, log: RangeFetcher): void {
  const reads = new Map<number, ServedRead>();

  const pull = async (id: number, ranges: readonly ReadRange[], principal: Principal | undefined): Promise<void> => {
    const read = reads.get(id);
    // A read this thread never opened (a new thread, after the last one stopped) cannot go on.
    if (!read) return port.postMessage({ id, failed: 'the read is not open on this thread', pastRetention: undefined });
    read.merged.extend(ranges);
    try {
      const records = await read.merged.next(read.records);
      if (reads.get(id) !== read) return;
      const chunk = new ReplayFramesBuilder();
      const ticks = read.ticks;
      for (const record of records) {
        if (read.symbols && !aboutOneOf(record, read.symbols)) continue;
        if (ticks?.read(record)) {
          if (admits(read, ticks.id, ticks.visible, principal)) chunk.addText(ticks.frame(), ticks.visible);
          continue;
        }
        const pub = publicationOfRecord(record, read.positions);
        if (!pub || !admits(read, pub.id, pub, principal)) continue;
        const frame = read.encoder.encode(pub);
        if (frame) chunk.add(frame, pub);
      }
      const { frames, transfer } = chunk.build();
      port.postMessage({ id, frames, end: records.length < read.records }, transfer);
    } catch (err) {
      reads.delete(id);
      port.postMessage({
        id,
        failed: err instanceof Error ? err.message : String(err),
        pastRetention: err instanceof PastRetentionError ? err.key : undefined,
      });
    }
  };

  port.on('message', (request) => {
    switch (request.op) {
      case 'open': {
        const { codec, client } = request;
        const positions = codec && new PositionCodec(codec.epoch, codec.topics);
        reads.set(request.id, {
          merged: new MergedRead(log, request.ranges),
          positions,
          encoder: encoderOf(client.recipe),
          ticks: client.recipe.door === 'market-data' ? new MarketDataTranscoder(positions) : undefined,
          channels: new Set(client.channels),
          symbols: symbolsOnly(client.channels),
          records: client.records,
          seen: new Set(),
        });
        return;
      }
      case 'pull':
        return void pull(request.id, request.ranges, request.principal);
      case 'close':
        reads.delete(request.id);
        return;
      case 'warm':
        // Only a head start: a read that finds the client not ready gets it ready itself.
        return void log.prepare?.(request.topics).catch(() => undefined);
    }
  });
}

/**
 * Whether the read sends this event to its client: on its channels, not sent before (a Kafka
 * redelivery has the same id at another offset), readable by its principal. Marks it sent.
 */
function admits(read: ServedRead, id: string, pub: { type: string } & Visible, principal: Principal | undefined): boolean {
  if (!reaches(pub, read.channels) || read.seen.has(id) || !mayReceive(principal, pub)) return false;
  read.seen.add(id);
  return true;
}

/** Whether an event is on one of the channels asked for (or their event types' channels, which filtered subscriptions listen on). */
function reaches(pub: { type: string; channels: readonly string[] }, channels: ReadonlySet<string>): boolean {
  return pub.channels.some((c) => channels.has(c)) || channels.has(typeChannel(pub.type));
}

const SYMBOL_FAMILY_PREFIXES = Object.values(CHANNELS)
  .filter(isSymbolFamily)
  .map((pattern) => pattern.slice(0, pattern.indexOf('{')));

/**
 * The symbols of `channels` when each is one symbol's channel (`market-data:AAPL`); undefined when
 * any takes events of every subject (`events`, `alerts`, a type channel). A symbol channel's topic
 * holds every symbol's events: a resume of one symbol in a market of a hundred would otherwise
 * decode a hundred records for each it sends.
 */
function symbolsOnly(channels: readonly string[]): ReadonlySet<string> | undefined {
  const symbols = new Set<string>();
  for (const channel of channels) {
    const prefix = SYMBOL_FAMILY_PREFIXES.find((p) => channel.startsWith(p));
    if (prefix === undefined) return undefined;
    symbols.add(channel.slice(prefix.length));
  }
  return symbols;
}

/**
 * False only for a record that cannot reach a channel of these symbols, told from its key without
 * decoding it: the key is the event's subject (event.proto), which names the channel (channelsOf);
 * a record without a key is decoded and judged by its event.
 */
function aboutOneOf(record: LogRecord, symbols: ReadonlySet<string>): boolean {
  const key = record.key;
  if (!key || key.length === 0) return true;
  const symbol = normalizeSymbol(key.toString());
  return symbol !== null && symbols.has(symbol);
}
