import { crc32 } from 'node:zlib';
import { events } from '@marketpulse/proto';

/**
 * One spool record: [length u32 BE][crc32 of the body u32 BE][body = events.Event protobuf].
 * The length finds the end of a record, the checksum proves the whole body reached the disk, so a
 * record cut short by a crash (or a tail of zeros a file system left behind) is recognised as
 * torn instead of being decoded into a wrong event.
 */
const HEADER_BYTES = 8;

export function encodeRecords(list: readonly events.Event[]): Buffer {
  const bodies = list.map((event) => events.Event.encode(event).finish());
  const out = Buffer.allocUnsafe(bodies.reduce((sum, body) => sum + HEADER_BYTES + body.length, 0));
  let at = 0;
  for (const body of bodies) {
    out.writeUInt32BE(body.length, at);
    out.writeUInt32BE(crc32(body), at + 4);
    out.set(body, at + HEADER_BYTES);
    at += HEADER_BYTES + body.length;
  }
  return out;
}

export interface DecodedRecords {
  events: events.Event[];
  /** Bytes holding whole, intact records. */
  validBytes: number;
  /** Bytes after the last intact record (a record torn by a crash); 0 for a clean file. */
  tornBytes: number;
}

/** Reads records from the start up to the first incomplete or damaged one; nothing after it is trusted. */
export function decodeRecords(data: Uint8Array): DecodedRecords {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const out: events.Event[] = [];
  let at = 0;
  while (buf.length - at >= HEADER_BYTES) {
    const length = buf.readUInt32BE(at);
    const end = at + HEADER_BYTES + length;
    // An empty body has checksum 0, so a zero-filled tail would pass the check: every event has an id.
    if (length === 0 || end > buf.length) break;
    const body = buf.subarray(at + HEADER_BYTES, end);
    if (crc32(body) !== buf.readUInt32BE(at + 4)) break;
    let event: events.Event;
    try {
      event = events.Event.decode(body);
    } catch {
      break;
    }
    if (!event.id) break;
    out.push(event);
    at = end;
  }
  return { events: out, validBytes: at, tornBytes: buf.length - at };
}
