import { createHash } from 'node:crypto';
import { partitionKey, type PartitionKey } from './kafka_log';
import type { Frontier } from './positions';

/**
 * Position tokens: where a client stands in Kafka, in a form any instance can read back from.
 *
 * A token is `<header>.<entry>.<entry>...`, each part base64url. The header is a version byte and
 * a 4-byte epoch naming the Kafka cluster and the topic list (so a token from another cluster, or
 * from before the topics changed, is refused rather than read at the wrong offsets). An entry is
 * one partition's next offset: topic number (u8, its index in the topic list), partition (u16 BE),
 * then the offset as a varint. Its first three bytes are exactly its first four characters: the
 * partition's key, which a client keeps the last entry of (see positionKey).
 *
 * Every delivered event carries one entry (`pos`: its own partition and the offset after it); a
 * subscription's acknowledgement carries a whole token (every partition it reads). A client's
 * position is that token with each partition's entry replaced by the last `pos` it received there.
 */

const VERSION = 1;
const EPOCH_BYTES = 4;
/** Longest token accepted: a few partitions per topic need far less. */
export const MAX_POSITION_CHARS = 4096;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** A varint of at most 8 bytes holds 56 bits: every offset up to 2^53 - 1. */
const MAX_VARINT_BYTES = 8;

export type PositionError = 'INVALID_POSITION' | 'CANNOT_RECOVER';
export type DecodedPosition = { ok: true; frontier: Frontier } | { ok: false; code: PositionError; detail: string };

/** The epoch of a cluster and topic list: the first 4 bytes of their SHA-256. */
export function positionEpoch(clusterId: string, topics: readonly string[]): Buffer {
  return createHash('sha256')
    .update(`${clusterId}\n${topics.join('\n')}`)
    .digest()
    .subarray(0, EPOCH_BYTES);
}

/** The part of a `pos` entry that names its partition: a client keeps the last entry per key. */
export function positionKey(entry: string): string {
  return entry.slice(0, 4);
}

/** What a codec is made of: how it travels to the read-back thread (log_reader.ts). */
export interface PositionCodecParts {
  readonly epoch: Uint8Array;
  readonly topics: readonly string[];
}

export class PositionCodec {
  private readonly header: string;
  private readonly epoch: Buffer;
  private readonly topicIndex: Map<string, number>;

  constructor(
    epoch: Uint8Array,
    private readonly topics: readonly string[],
  ) {
    if (epoch.length !== EPOCH_BYTES) throw new RangeError(`an epoch is ${EPOCH_BYTES} bytes`);
    if (topics.length > 256) throw new RangeError('at most 256 topics');
    this.epoch = Buffer.from(epoch);
    this.header = Buffer.concat([Buffer.of(VERSION), this.epoch]).toString('base64url');
    this.topicIndex = new Map(topics.map((t, i) => [t, i]));
  }

  /** The entry of one partition at `next` (the offset after the last record handled); undefined for a topic not listed. */
  entry(topic: string, partition: number, next: number): string | undefined {
    const index = this.topicIndex.get(topic);
    if (index === undefined || partition < 0 || partition > 0xffff || !Number.isSafeInteger(next) || next < 0) return undefined;
    const bytes = [index, partition >> 8, partition & 0xff];
    for (let n = next; ;) {
      const low = n % 128;
      n = Math.floor(n / 128);
      if (n === 0) {
        bytes.push(low);
        break;
      }
      bytes.push(low | 0x80);
    }
    return Buffer.from(bytes).toString('base64url');
  }

  /** The first four characters of every `pos` of a partition (positionKey); undefined for a topic not listed. */
  entryKey(key: PartitionKey): string | undefined {
    const at = key.lastIndexOf('/');
    return this.entry(key.slice(0, at), Number(key.slice(at + 1)), 0)?.slice(0, 4);
  }

  /** The offset an entry holds (for a `pos`, the one after its record); undefined for a malformed one. */
  entryOffset(entry: string): number | undefined {
    const bytes = base64url(entry);
    return bytes && bytes.length >= 4 ? varint(bytes, 3) : undefined;
  }

  get parts(): PositionCodecParts {
    return { epoch: this.epoch, topics: this.topics };
  }

  /** The `pos` of a record: its partition and the offset after it. */
  entryAfter(topic: string, partition: number, offset: number): string | undefined {
    return this.entry(topic, partition, offset + 1);
  }

  /** A whole token: every partition of the frontier, in key order. */
  encode(frontier: Frontier): string {
    const parts = [this.header];
    for (const key of [...frontier.keys()].sort()) {
      const at = key.lastIndexOf('/');
      const entry = this.entry(key.slice(0, at), Number(key.slice(at + 1)), frontier.get(key)!);
      if (entry !== undefined) parts.push(entry);
    }
    return parts.join('.');
  }

  /**
   * Reads a token a client sent: untrusted, so every byte is checked. A malformed one is
   * INVALID_POSITION; one of another cluster or topic list is CANNOT_RECOVER. A partition named
   * twice keeps its furthest offset.
   */
  decode(token: string): DecodedPosition {
    const invalid = (detail: string): DecodedPosition => ({ ok: false, code: 'INVALID_POSITION', detail });
    if (token.length === 0 || token.length > MAX_POSITION_CHARS) return invalid(`a position is 1-${MAX_POSITION_CHARS} characters`);
    const parts = token.split('.');
    const header = base64url(parts[0]!);
    if (!header || header.length !== 1 + EPOCH_BYTES || header[0] !== VERSION) return invalid('not a position token of this gateway');
    if (!header.subarray(1).equals(this.epoch))
      return {
        ok: false,
        code: 'CANNOT_RECOVER',
        detail: 'the position is from another Kafka cluster or topic set; continuing with live messages',
      };
    const frontier: Frontier = new Map();
    for (let i = 1; i < parts.length; i++) {
      const bytes = base64url(parts[i]!);
      if (!bytes || bytes.length < 4) return invalid(`entry ${i} is not a partition position`);
      const topic = this.topics[bytes[0]!];
      if (topic === undefined) return invalid(`entry ${i} names no known topic`);
      const next = varint(bytes, 3);
      if (next === undefined) return invalid(`entry ${i} has no valid offset`);
      const key: PartitionKey = partitionKey(topic, bytes.readUInt16BE(1));
      frontier.set(key, Math.max(next, frontier.get(key) ?? 0));
    }
    return { ok: true, frontier };
  }
}

/** Canonical base64url only (what Buffer would encode back), so two spellings never mean one position. */
function base64url(text: string): Buffer | undefined {
  if (!BASE64URL.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

/** A varint that fills the rest of `bytes` exactly, at most 2^53 - 1; undefined otherwise. */
function varint(bytes: Buffer, start: number): number | undefined {
  let value = 0;
  let scale = 1;
  for (let i = start; i < bytes.length; i++) {
    if (i - start >= MAX_VARINT_BYTES) return undefined;
    const byte = bytes[i]!;
    value += (byte & 0x7f) * scale;
    scale *= 128;
    const last = (byte & 0x80) === 0;
    if (last !== (i === bytes.length - 1)) return undefined;
    // One offset, one spelling: no trailing zero groups.
    if (last && byte === 0 && i > start) return undefined;
  }
  return Number.isSafeInteger(value) ? value : undefined;
}

/**
 * A client's position kept for it (a tRPC subscription tracks its own, as the TypeScript client
 * does for /ws/stream): a whole token, each partition's entry replaced by the last `pos` sent.
 */
export class PositionTracker {
  private readonly header: string;
  private readonly entries = new Map<string, string>();

  constructor(token: string) {
    const [header, ...entries] = token.split('.');
    this.header = header!;
    for (const entry of entries) this.entries.set(positionKey(entry), entry);
  }

  advance(pos: string): void {
    this.entries.set(positionKey(pos), pos);
  }

  get token(): string {
    return [this.header, ...this.entries.values()].join('.');
  }
}
