import { RecordBatchError, type AbortedTransaction } from './record_batches';

/** One partition of a Fetch response, its record set left as bytes (record_batches.ts decodes them). */
export interface FetchedPartition {
  readonly partition: number;
  readonly errorCode: number;
  readonly abortedTransactions: AbortedTransaction[];
  /** The record set: whole record batches, the last one possibly cut short. */
  readonly records: Buffer;
}

export interface FetchedTopic {
  readonly topic: string;
  readonly partitions: FetchedPartition[];
}

/** The Fetch API version read: Kafka 2.3 and later answer it (Kafka 4 down to version 4). */
export const FETCH_VERSION = 11;

/**
 * A Fetch response (version 11) as the broker sent it, after the correlation id: throttle time,
 * error code, session id, then per topic and partition its header and record set. Checked as
 * untrusted bytes: a truncated or inconsistent response is a RecordBatchError, never an
 * out-of-bounds read.
 */
export function decodeFetchResponse(bytes: Buffer): { errorCode: number; topics: FetchedTopic[] } {
  const r = new Cursor(bytes);
  r.skip(4); // throttle_time_ms
  const errorCode = r.int16();
  r.skip(4); // session_id
  const topics: FetchedTopic[] = [];
  for (let t = r.count(); t > 0; t--) {
    const topic = r.string();
    const partitions: FetchedPartition[] = [];
    for (let p = r.count(); p > 0; p--) {
      const partition = r.int32();
      const partitionError = r.int16();
      r.skip(24); // high_watermark, last_stable_offset, log_start_offset
      const abortedTransactions: AbortedTransaction[] = [];
      for (let a = r.count(); a > 0; a--) abortedTransactions.push({ producerId: r.bigint64(), firstOffset: Number(r.bigint64()) });
      r.skip(4); // preferred_read_replica
      const size = r.int32();
      const records = size < 0 ? Buffer.alloc(0) : r.take(size);
      partitions.push({ partition, errorCode: partitionError, abortedTransactions, records });
    }
    topics.push({ topic, partitions });
  }
  if (r.left !== 0) throw new RecordBatchError(`the Fetch response has ${r.left} bytes past its end`);
  return { errorCode, topics };
}

class Cursor {
  private at = 0;

  constructor(private readonly buf: Buffer) {}

  get left(): number {
    return this.buf.length - this.at;
  }

  private need(n: number): void {
    if (n < 0 || n > this.left) throw new RecordBatchError(`the Fetch response ends ${n - this.left} bytes early`);
  }

  skip(n: number): void {
    this.need(n);
    this.at += n;
  }

  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.at);
    this.at += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.at);
    this.at += 4;
    return v;
  }

  bigint64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.at);
    this.at += 8;
    return v;
  }

  /** An array's length; a null array (-1) is empty. Each element takes at least a byte, so a count past the bytes left is refused. */
  count(): number {
    const n = this.int32();
    if (n < -1 || n > this.left) throw new RecordBatchError(`the Fetch response declares an array of ${n} elements`);
    return Math.max(n, 0);
  }

  string(): string {
    const n = this.int16();
    return n < 0 ? '' : this.take(n).toString();
  }

  take(n: number): Buffer {
    this.need(n);
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
}
