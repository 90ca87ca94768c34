import type { events, market } from '@marketpulse/proto';
import { isoOfTimestamp } from './timestamp_iso';

// The Event of a tick record (most of what a catch-up reads back), decoded without the generated
// code's Date per Timestamp (two per tick: Event.time and Tick.timestamp), which made a sixth of the
// read-back thread's work (bench/resume, session 14). It yields exactly the object events.Event.decode
// yields (same fields, same key order), and only for a record it reads the same way: every field a
// known one with its wire type, in bounds, each message ending where its length says. Any other
// record (another payload, an unknown field, a 64-bit or negative number, a timestamp with no valid
// Date) is undefined, and record_event.ts decodes it with the generated code.

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** A failed check: the record goes to the generated decoder (made once: throwing it costs no stack trace). */
const NOT_MINE = new Error('not a record this decoder reads as the generated code does');

class Reader {
  pos = 0;
  readonly end: number;
  private readonly buf: Buffer;
  private readonly view: DataView;

  constructor(bytes: Uint8Array) {
    this.buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.end = bytes.length;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /**
   * A varint of at most 7 bytes (< 2^49, exact in a double, its int64 text the number's): a uint32
   * tag or length, or a non-negative int32/int64. Longer ones (negative numbers) are not mine.
   */
  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      if (this.pos >= this.end) throw NOT_MINE;
      const byte = this.buf[this.pos++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    throw NOT_MINE;
  }

  /** A length-delimited field's end. */
  length(): number {
    const n = this.varint();
    if (n > this.end - this.pos) throw NOT_MINE;
    return this.pos + n;
  }

  string(): string {
    const end = this.length();
    const start = this.pos;
    this.pos = end;
    const buf = this.buf;
    // ASCII is the same text in every decoder; otherwise the generated code's: WHATWG UTF-8 with a leading U+FEFF kept.
    for (let i = start; i < end; i++) if (buf[i]! > 0x7f) return utf8.decode(buf.subarray(start, end));
    return buf.toString('latin1', start, end);
  }

  double(): number {
    if (this.end - this.pos < 8) throw NOT_MINE;
    this.pos += 8;
    return this.view.getFloat64(this.pos - 8, true);
  }

  /** A Timestamp message, as the generated code's text; its fields in any order, each at most once or last one wins. */
  timestamp(): string {
    const end = this.length();
    let seconds = 0;
    let nanos = 0;
    while (this.pos < end) {
      const tag = this.varint();
      if (tag === 8) seconds = this.varint();
      else if (tag === 16) nanos = this.varint();
      else throw NOT_MINE;
    }
    // Past the int32 range the generated code's nanos turn negative: its own path handles those.
    if (this.pos !== end || nanos >= 2 ** 31) throw NOT_MINE;
    const iso = isoOfTimestamp(seconds, nanos);
    if (iso === undefined) throw NOT_MINE;
    return iso;
  }
}

function tick(reader: Reader): market.Tick {
  const end = reader.length();
  const tick: market.Tick = { symbol: '', price: 0, volume: 0, bid: 0, ask: 0, timestamp: undefined, provider: '', sequence: '0' };
  while (reader.pos < end) {
    switch (reader.varint()) {
      case 10:
        tick.symbol = reader.string();
        break;
      case 17:
        tick.price = reader.double();
        break;
      case 25:
        tick.volume = reader.double();
        break;
      case 33:
        tick.bid = reader.double();
        break;
      case 41:
        tick.ask = reader.double();
        break;
      case 50:
        tick.timestamp = reader.timestamp();
        break;
      case 58:
        tick.provider = reader.string();
        break;
      case 64:
        tick.sequence = String(reader.varint());
        break;
      default:
        throw NOT_MINE;
    }
  }
  if (reader.pos !== end) throw NOT_MINE;
  return tick;
}

/** The record's Event when it is a tick's this decoder reads exactly as the generated code does; else undefined. */
export function decodeTickEvent(value: Uint8Array): events.Event | undefined {
  const reader = new Reader(value);
  const event: events.Event = { id: '', type: '', source: '', subject: '', time: undefined, owner: '', payload: undefined };
  try {
    while (reader.pos < reader.end) {
      switch (reader.varint()) {
        case 10:
          event.id = reader.string();
          break;
        case 18:
          event.type = reader.string();
          break;
        case 26:
          event.source = reader.string();
          break;
        case 34:
          event.subject = reader.string();
          break;
        case 42:
          event.time = reader.timestamp();
          break;
        case 50:
          event.owner = reader.string();
          break;
        case 82:
          event.payload = { $case: 'market_data_update', market_data_update: tick(reader) };
          break;
        default:
          throw NOT_MINE;
      }
    }
  } catch {
    // NOT_MINE, or anything else this decoder did not foresee: the generated code decides.
    return undefined;
  }
  return event;
}
