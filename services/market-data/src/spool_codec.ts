import { crc32 } from 'node:zlib';
import { events } from '@marketpulse/proto';

/**
 * One spool record: [length u32 BE][crc32 of the body u32 BE][body]. The length finds the end of a
 * record, the checksum proves the whole body reached the disk, so a record cut short by a crash (or
 * a tail of zeros a file system left behind) is recognised as torn instead of being decoded into a
 * wrong event.
 *
 * Body: an events.Event protobuf, or, when the length's top bit is set, [traceparent length u8]
 * [W3C traceparent, ASCII][events.Event protobuf], so a replayed event continues its trace. Files
 * written before traces were kept have no such records and still read back (without a trace).
 */
const HEADER_BYTES = 8;
const TRACED = 0x8000_0000;
const LENGTH_MASK = 0x7fff_ffff;

export interface SpoolRecord {
  event: events.Event;
  /** The W3C traceparent the event was queued in; null when there was none (or an older file). */
  traceparent: string | null;
}

export function encodeRecords(list: readonly SpoolRecord[]): Buffer {
  const bodies = list.map(({ event, traceparent }) => {
    const body = events.Event.encode(event).finish();
    // A traceparent is 55 ASCII characters; anything not fitting the one-byte length is not one.
    if (!traceparent || traceparent.length > 255) return { flag: 0, body };
    const traced = Buffer.allocUnsafe(1 + traceparent.length + body.length);
    traced[0] = traceparent.length;
    traced.write(traceparent, 1, 'latin1');
    traced.set(body, 1 + traceparent.length);
    return { flag: TRACED, body: traced };
  });
  const out = Buffer.allocUnsafe(bodies.reduce((sum, { body }) => sum + HEADER_BYTES + body.length, 0));
  let at = 0;
  for (const { flag, body } of bodies) {
    out.writeUInt32BE((body.length | flag) >>> 0, at);
    out.writeUInt32BE(crc32(body), at + 4);
    out.set(body, at + HEADER_BYTES);
    at += HEADER_BYTES + body.length;
  }
  return out;
}

/** Size of the record starting at `at` as its header gives it (header included), or undefined without a whole header. */
export function recordBytesAt(buf: Uint8Array, at = 0): number | undefined {
  if (buf.length - at < HEADER_BYTES) return undefined;
  return HEADER_BYTES + (Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).readUInt32BE(at) & LENGTH_MASK);
}

export interface DecodedRecords {
  records: SpoolRecord[];
  /** Bytes holding whole, intact records. */
  validBytes: number;
  /** Bytes after the last intact record (a record torn by a crash); 0 for a clean file. */
  tornBytes: number;
}

/**
 * Reads records from the start up to the first incomplete or damaged one (nothing after it is
 * trusted), or up to `maxRecords`.
 */
export function decodeRecords(data: Uint8Array, maxRecords = Infinity): DecodedRecords {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const out: SpoolRecord[] = [];
  let at = 0;
  while (out.length < maxRecords && buf.length - at >= HEADER_BYTES) {
    const word = buf.readUInt32BE(at);
    const length = word & LENGTH_MASK;
    const end = at + HEADER_BYTES + length;
    // An empty body has checksum 0, so a zero-filled tail would pass the check: every event has an id.
    if (length === 0 || end > buf.length) break;
    const body = buf.subarray(at + HEADER_BYTES, end);
    if (crc32(body) !== buf.readUInt32BE(at + 4)) break;
    let traceparent: string | null = null;
    let message = body;
    if (word & TRACED) {
      const size = body[0];
      if (1 + size > body.length) break;
      traceparent = body.toString('latin1', 1, 1 + size);
      message = body.subarray(1 + size);
    }
    let event: events.Event;
    try {
      event = events.Event.decode(message);
    } catch {
      break;
    }
    if (!event.id) break;
    out.push({ event, traceparent });
    at = end;
  }
  return { records: out, validBytes: at, tornBytes: buf.length - at };
}
