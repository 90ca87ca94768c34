import { isoOfTimestamp } from './timestamp_iso';

// One pass over a tick record's bytes, shared by the two things the read-back thread makes of it:
// the Event object (tick_event_decoder.ts) and the market-data door's frame written straight from
// the bytes (market_data_transcoder.ts). Both take exactly the records this scan accepts: those the
// generated code (events.Event.decode) reads the same way, every field a known one with its wire
// type, in bounds, each message ending where its length says. Texts are left as where they are in
// the record (a string is made only by whoever needs one); numbers and timestamps are read.

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** A text field's place in `TickRecordScan.spans`: its start there, its end one after. */
export const ID = 0;
export const TYPE = 2;
export const SOURCE = 4;
export const SUBJECT = 6;
export const OWNER = 8;
export const SYMBOL = 10;
export const PROVIDER = 12;

/** A failed check: the record goes to the generated decoder (made once: throwing it costs no stack trace). */
const NOT_MINE = new Error('not a record this scan reads as the generated code does');

/** A record's text as the generated code decodes it: WHATWG UTF-8 with a leading U+FEFF kept; ASCII the same text in every decoder. */
export function textOf(bytes: Buffer, start: number, end: number): string {
  for (let i = start; i < end; i++) if (bytes[i]! > 0x7f) return utf8.decode(bytes.subarray(start, end));
  return bytes.toString('latin1', start, end);
}

/** What the last accepted record holds; reused from record to record (the read-back thread scans one at a time). */
export class TickRecordScan {
  bytes: Buffer = Buffer.alloc(0);
  /** Start and end in `bytes` of each text field (ID, TYPE...): an absent field is empty. */
  readonly spans = new Uint32Array(14);
  time: string | undefined = undefined;
  /** Whether the record has a tick payload: the fields below are its. */
  hasTick = false;
  price = 0;
  volume = 0;
  bid = 0;
  ask = 0;
  tickTime: string | undefined = undefined;
  sequence = 0;

  private pos = 0;
  private end = 0;
  private view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));

  /** Reads `value`; false when it is not a tick record the generated code reads this way (the fields are then meaningless). */
  read(value: Uint8Array): boolean {
    this.bytes = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    this.view = new DataView(value.buffer, value.byteOffset, value.byteLength);
    this.pos = 0;
    this.end = value.length;
    this.spans.fill(0, ID, SYMBOL);
    this.time = undefined;
    this.hasTick = false;
    try {
      while (this.pos < this.end) {
        switch (this.varint()) {
          case 10:
            this.text(ID);
            break;
          case 18:
            this.text(TYPE);
            break;
          case 26:
            this.text(SOURCE);
            break;
          case 34:
            this.text(SUBJECT);
            break;
          case 42:
            this.time = this.timestamp();
            break;
          case 50:
            this.text(OWNER);
            break;
          case 82:
            this.tick();
            break;
          default:
            throw NOT_MINE;
        }
      }
    } catch {
      // NOT_MINE, or anything else this scan did not foresee: the generated code decides.
      return false;
    }
    return true;
  }

  /** A repeated payload field replaces the tick whole, as the generated code's does. */
  private tick(): void {
    const end = this.length();
    this.hasTick = true;
    this.spans.fill(0, SYMBOL);
    this.price = this.volume = this.bid = this.ask = this.sequence = 0;
    this.tickTime = undefined;
    while (this.pos < end) {
      switch (this.varint()) {
        case 10:
          this.text(SYMBOL);
          break;
        case 17:
          this.price = this.double();
          break;
        case 25:
          this.volume = this.double();
          break;
        case 33:
          this.bid = this.double();
          break;
        case 41:
          this.ask = this.double();
          break;
        case 50:
          this.tickTime = this.timestamp();
          break;
        case 58:
          this.text(PROVIDER);
          break;
        case 64:
          this.sequence = this.varint();
          break;
        default:
          throw NOT_MINE;
      }
    }
    if (this.pos !== end) throw NOT_MINE;
  }

  /**
   * A varint of at most 7 bytes (< 2^49, exact in a double, its int64 text the number's): a uint32
   * tag or length, or a non-negative int32/int64. Longer ones (negative numbers) are not mine.
   */
  private varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      if (this.pos >= this.end) throw NOT_MINE;
      const byte = this.bytes[this.pos++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    throw NOT_MINE;
  }

  /** A length-delimited field's end. */
  private length(): number {
    const n = this.varint();
    if (n > this.end - this.pos) throw NOT_MINE;
    return this.pos + n;
  }

  private text(field: number): void {
    const end = this.length();
    this.spans[field] = this.pos;
    this.spans[field + 1] = end;
    this.pos = end;
  }

  private double(): number {
    if (this.end - this.pos < 8) throw NOT_MINE;
    this.pos += 8;
    return this.view.getFloat64(this.pos - 8, true);
  }

  /** A Timestamp message, as the generated code's text; its fields in any order, each at most once or last one wins. */
  private timestamp(): string {
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

  /** A text field's value. */
  textOf(field: number): string {
    return textOf(this.bytes, this.spans[field]!, this.spans[field + 1]!);
  }
}
