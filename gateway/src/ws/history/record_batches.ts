import { gunzipSync } from 'node:zlib';
import * as zlib from 'node:zlib';
import type { LogRecord } from './kafka_log';

/**
 * Kafka's RecordBatch format (magic 2, the only one Kafka 4 writes), decoded straight from the
 * bytes of a Fetch response: the read-back's hot loop. kafkajs builds a record object with Long
 * offsets and timestamps, string conversions and a header map for every record (about 4 µs a
 * record); this takes only what a read-back uses (offset, timestamp, value, headers) as numbers
 * and slices of the response, in about a quarter of that (bench/resume/README.md).
 *
 * Bytes are the broker's, yet checked as untrusted: any inconsistency is a RecordBatchError naming
 * the partition and offset, never an out-of-bounds read, an endless loop or a crash.
 */

export class RecordBatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordBatchError';
  }
}

/** A transaction the broker reports aborted in the fetched range (READ_COMMITTED fetches). */
export interface AbortedTransaction {
  readonly producerId: bigint;
  readonly firstOffset: number;
}

/** What one partition's record set gave: its records in [from, to), and where the next fetch starts. */
export interface DecodedRecords {
  readonly records: LogRecord[];
  /** The offset after the last one this set covered below `to` (control and aborted records included); `from` if none. */
  readonly next: number;
}

/** Batch header: base offset (8) and length (4), then 49 bytes up to the record count included. */
const LOG_OVERHEAD = 12;
const HEADER_AFTER_LENGTH = 49;
const MAGIC = 2;
const COMPRESSION_MASK = 0x07;
const LOG_APPEND_TIME_FLAG = 0x08;
const TRANSACTIONAL_FLAG = 0x10;
const CONTROL_FLAG = 0x20;
/** A control record's type (its key: version int16, type int16): 0 ends a transaction by aborting it. */
const ABORT_MARKER = 0;
/** Longest a decompressed batch may be: a broker's largest message (message.max.bytes) is far smaller. */
const MAX_INFLATED_BYTES = 64 * 1024 * 1024;

const zstdDecompressSync = (zlib as { zstdDecompressSync?: (b: Buffer, o: object) => Buffer }).zstdDecompressSync;

/**
 * Decodes the record batches of one partition's record set. A batch cut short at the end (a fetch
 * stops at its byte limit) ends the set; records outside [from, to) are skipped, and so are
 * control records and, given the fetch's aborted transactions, the records of aborted ones.
 */
export function decodeRecordBatches(
  bytes: Buffer,
  where: { topic: string; partition: number; from: number; to: number },
  aborted: readonly AbortedTransaction[] = [],
): DecodedRecords {
  const { topic, partition, from, to } = where;
  const records: LogRecord[] = [];
  let next = from;
  // Producers whose open transaction was aborted (their batches are skipped up to the abort marker).
  const abortedProducers = new Set<bigint>();
  const pending = [...aborted].sort((a, b) => a.firstOffset - b.firstOffset);
  let at = 0;
  while (bytes.length - at >= LOG_OVERHEAD) {
    const baseOffset = int64(bytes, at);
    const length = bytes.readInt32BE(at + 8);
    const fail = (why: string) => new RecordBatchError(`the record batch of ${topic}/${partition} at offset ${baseOffset} ${why}`);
    if (length < HEADER_AFTER_LENGTH) throw fail(`declares ${length} bytes, fewer than a batch header`);
    const end = at + LOG_OVERHEAD + length;
    // Cut short by the fetch's byte limit: the next fetch starts with it.
    if (end > bytes.length) break;
    const magic = bytes.readInt8(at + 16);
    if (magic !== MAGIC) throw fail(`has message format ${magic}; only format 2 (Kafka 0.11 and later) is read back`);
    const attributes = bytes.readInt16BE(at + 21);
    const lastOffset = baseOffset + bytes.readInt32BE(at + 23);
    const baseTimestamp = int64(bytes, at + 27);
    const maxTimestamp = int64(bytes, at + 35);
    const producerId = bytes.readBigInt64BE(at + 43);
    const count = bytes.readInt32BE(at + 57);
    if (lastOffset < baseOffset) throw fail('ends before it starts');
    if (count < 0 || count > length) throw fail(`declares ${count} records`);
    const body = bytes.subarray(at + LOG_OVERHEAD + HEADER_AFTER_LENGTH, end);
    at = end;
    // Which transactions are aborted is followed over every batch, also those before `from`.
    while (pending.length > 0 && pending[0]!.firstOffset <= lastOffset) abortedProducers.add(pending.shift()!.producerId);
    const isControl = (attributes & CONTROL_FLAG) !== 0;
    if (isControl && abortedProducers.has(producerId) && controlType(inflate(body, attributes, fail), count, fail) === ABORT_MARKER)
      abortedProducers.delete(producerId);
    if (lastOffset < from) continue;
    next = Math.max(next, Math.min(lastOffset + 1, to));
    if (isControl || (attributes & TRANSACTIONAL_FLAG && abortedProducers.has(producerId))) continue;
    const timestampOf = attributes & LOG_APPEND_TIME_FLAG ? () => maxTimestamp : (delta: number) => baseTimestamp + delta;
    readRecords(inflate(body, attributes, fail), count, fail, (offsetDelta, timestampDelta, key, value, headers) => {
      const offset = baseOffset + offsetDelta;
      if (offset < from || offset >= to) return;
      records.push({ topic, partition, offset, timestamp: timestampOf(timestampDelta), key, value, headers });
    });
  }
  return { records, next };
}

type Fail = (why: string) => RecordBatchError;
type Headers = LogRecord['headers'];

function inflate(body: Buffer, attributes: number, fail: Fail): Buffer {
  const codec = attributes & COMPRESSION_MASK;
  if (codec === 0) return body;
  try {
    if (codec === 1) return gunzipSync(body, { maxOutputLength: MAX_INFLATED_BYTES });
    if (codec === 4 && zstdDecompressSync) return zstdDecompressSync(body, { maxOutputLength: MAX_INFLATED_BYTES });
  } catch (err) {
    throw fail(`does not decompress: ${err instanceof Error ? err.message : String(err)}`);
  }
  const names = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
  throw fail(`is compressed with ${names[codec] ?? `codec ${codec}`}, which the read-back does not decompress (gzip and zstd only)`);
}

/** Reads `count` records, each handed to `take` with its key, value and headers as slices of `body`. */
function readRecords(
  body: Buffer,
  count: number,
  fail: Fail,
  take: (offsetDelta: number, timestampDelta: number, key: Buffer | null, value: Buffer | null, headers: Headers) => void,
): void {
  const r = new Reader(body, fail);
  for (let i = 0; i < count; i++) {
    const length = r.varint();
    if (length < 0 || length > r.left) throw fail(`has a record of ${length} bytes where ${r.left} are left`);
    const end = r.at + length;
    r.at++; // attributes: unused
    const timestampDelta = r.varlong();
    const offsetDelta = r.varint();
    const recordKey = r.bytes();
    const value = r.bytes();
    const headerCount = r.varint();
    if (headerCount < 0 || headerCount > end - r.at) throw fail(`has a record with ${headerCount} headers`);
    const headers: Record<string, Buffer | Buffer[]> = {};
    for (let h = 0; h < headerCount; h++) {
      const key = r.bytes();
      if (key === null) throw fail('has a header without a key');
      const name = key.toString();
      const headerValue = r.bytes() ?? Buffer.alloc(0);
      // Assigned, that name would set the object's prototype; no header the read-back uses has it.
      if (name === '__proto__') continue;
      const seen = headers[name];
      headers[name] = seen === undefined ? headerValue : Array.isArray(seen) ? [...seen, headerValue] : [seen, headerValue];
    }
    if (r.at !== end) throw fail(`has a record whose fields do not add up to its length ${length}`);
    take(offsetDelta, timestampDelta, recordKey, value, headers);
  }
  if (r.left !== 0) throw fail(`has ${r.left} bytes after its ${count} records`);
}

/** The type of a control batch's marker (its one record's key). */
function controlType(body: Buffer, count: number, fail: Fail): number {
  let type = -1;
  const r = new Reader(body, fail);
  for (let i = 0; i < count; i++) {
    const length = r.varint();
    if (length < 0 || length > r.left) throw fail(`has a control record of ${length} bytes where ${r.left} are left`);
    const end = r.at + length;
    r.at++;
    r.varlong();
    r.varint();
    const key = r.bytes();
    if (key === null || key.length < 4) throw fail('has a control record without its type');
    type = key.readInt16BE(2);
    r.at = end;
  }
  return type;
}

/** A signed 64-bit big-endian integer as a number: offsets and millisecond timestamps stay far below 2^53. */
function int64(bytes: Buffer, at: number): number {
  return bytes.readInt32BE(at) * 0x1_0000_0000 + bytes.readUInt32BE(at + 4);
}

/** Kafka's zigzag varints over one record's bytes; every read is bounds-checked. */
class Reader {
  at = 0;

  constructor(
    private readonly buf: Buffer,
    private readonly fail: Fail,
  ) {}

  get left(): number {
    return this.buf.length - this.at;
  }

  /** Zigzag varint of at most 5 bytes (int32). */
  varint(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.at >= this.buf.length) throw this.fail('ends inside a varint');
      const byte = this.buf[this.at++]!;
      value |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return (value >>> 1) ^ -(value & 1);
    }
    throw this.fail('has a varint longer than 5 bytes');
  }

  /** Zigzag varint of at most 10 bytes (int64), exact within ±2^53. */
  varlong(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.at >= this.buf.length) throw this.fail('ends inside a varint');
      const byte = this.buf[this.at++]!;
      value += (byte & 0x7f) * scale;
      scale *= 128;
      if ((byte & 0x80) === 0) return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
    }
    throw this.fail('has a varint longer than 10 bytes');
  }

  /** Length-prefixed bytes (length -1: null), as a slice. */
  bytes(): Buffer | null {
    const length = this.varint();
    if (length === -1) return null;
    if (length < -1 || length > this.left) throw this.fail(`has a field of ${length} bytes where ${this.left} are left`);
    const out = this.buf.subarray(this.at, this.at + length);
    this.at += length;
    return out;
  }
}
