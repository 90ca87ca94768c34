import { ownerOfEvent } from '@marketpulse/runtime';
import { channelsOf, payloadOf, traceIdOf } from '../../events/routes';
import type { Visible } from '../../visibility';
import type { LogRecord } from './kafka_log';
import { headerText, type RecordPositions } from './record_event';
import { eventOfScan } from './tick_event_decoder';
import { ID, OWNER, PROVIDER, SUBJECT, SYMBOL, TickRecordScan, textOf, TYPE } from './tick_record_scan';

// The market-data door's frame of a tick record (most of a catch-up read back for /ws/market-data),
// written by the read-back thread straight from the record's bytes: no Event, no publication, no
// JSON.stringify of a message object, which together made most of the thread's work per tick
// (bench/resume, sessions 14 and 15). The bytes are exactly marketDataEncoder's (door_encoders.ts)
// for the publication the generic path builds (tick_event_decoder.test.ts checks it for any record).
// Only records that path reads the same way come here: a tick the scan accepts (tick_record_scan.ts),
// of type market_data_update, with an id, a time and a tick; any other takes the generic path.

/** What the read-back's checks read of a tick, as they read a publication: its type, channels and owner. */
export interface TickVisible extends Visible {
  readonly type: 'market_data_update';
}

const TICK_TYPE = Buffer.from('market_data_update');
const SLAB_BYTES = 64 * 1024;
/**
 * The texts a tick's channels and owner are made of: its subject, or its symbol without one
 * (channelsOf), and its owner (ownerOfEvent, a tick being a system event).
 */
const VISIBILITY_TEXTS = [SUBJECT, SYMBOL, OWNER];

const ascii = (text: string) => Buffer.from(text, 'latin1');
// marketDataEncoder's message, its keys in its order: type, symbol, data (the Tick's fields in the
// generated code's order), timestamp, then eventFields' id, pos, trace_id.
const HEAD = ascii('{"type":"market_data_update","symbol":');
const DATA_SYMBOL = ascii(',"data":{"symbol":');
const PRICE = ascii(',"price":');
const VOLUME = ascii(',"volume":');
const BID = ascii(',"bid":');
const ASK = ascii(',"ask":');
const TICK_TIME = ascii(',"timestamp":"');
const PROVIDER_KEY = ascii(',"provider":');
const SEQUENCE = ascii(',"sequence":"');
const TIME = ascii('"},"timestamp":"');
const ID_KEY = ascii('","id":');
const POS = ascii(',"pos":');
const TRACE_ID = ascii(',"trace_id":');
const END = ascii('}');

/** One read's transcoder (it keeps the last tick's place): `read` a record, and when it takes it, `frame` it. */
export class MarketDataTranscoder {
  /** The last tick's id. */
  id = '';
  /** The last tick's channels and owner: the same object while they stay the same, as they do for one symbol's ticks. */
  visible: TickVisible = { type: 'market_data_update', channels: [], owner: '' };

  private readonly scan = new TickRecordScan();
  private record: LogRecord | undefined;
  /** The VISIBILITY_TEXTS `visible` was made of: the same bytes make the same channels and owner. */
  private readonly visibleOf: Buffer[] = [];
  /** Frames are written here, one after the other; a full slab is left to the chunks that hold its frames. */
  private slab = Buffer.allocUnsafe(SLAB_BYTES);
  private at = 0;

  constructor(private readonly positions: RecordPositions | undefined) {}

  /** Whether this record is a tick this transcoder writes; false: the generic path decides what it is. */
  read(record: LogRecord): boolean {
    const scan = this.scan;
    if (!record.value || !scan.read(record.value) || !scan.hasTick || scan.time === undefined) return false;
    const spans = scan.spans;
    if (spans[ID] === spans[ID + 1] || !sameText(scan.bytes, spans[TYPE]!, spans[TYPE + 1]!, TICK_TYPE)) return false;
    this.record = record;
    this.id = scan.textOf(ID);
    if (!this.sameVisibility()) {
      // Made as the generic path makes them (channelsOf, ownerOfEvent), from this tick's event.
      const event = eventOfScan(scan);
      this.visible = { type: 'market_data_update', channels: channelsOf(event, payloadOf(event)), owner: ownerOfEvent(event) };
    }
    return true;
  }

  /** The last tick's frame payload: marketDataEncoder's bytes. Valid until the next slab is full, never overwritten. */
  frame(): Uint8Array {
    const scan = this.scan;
    const src = scan.bytes;
    const record = this.record!;
    // Each text of the record is written once; escaped, a byte takes at most 6 (\u00XX).
    this.reserve(6 * src.length + 1024);
    const w = new SlabWriter(this.slab, this.at);
    w.bytes(HEAD);
    w.span(src, scan.spans, SUBJECT);
    w.bytes(DATA_SYMBOL);
    w.span(src, scan.spans, SYMBOL);
    w.bytes(PRICE);
    w.number(scan.price);
    w.bytes(VOLUME);
    w.number(scan.volume);
    w.bytes(BID);
    w.number(scan.bid);
    w.bytes(ASK);
    w.number(scan.ask);
    if (scan.tickTime !== undefined) {
      w.bytes(TICK_TIME);
      w.ascii(scan.tickTime);
      w.byte(0x22);
    }
    w.bytes(PROVIDER_KEY);
    w.span(src, scan.spans, PROVIDER);
    w.bytes(SEQUENCE);
    w.ascii(String(scan.sequence));
    w.bytes(TIME);
    w.ascii(scan.time!);
    w.bytes(ID_KEY);
    w.span(src, scan.spans, ID);
    const pos = this.positions?.entryAfter(record.topic, record.partition, record.offset);
    if (pos !== undefined) {
      w.bytes(POS);
      w.text(pos);
    }
    w.bytes(TRACE_ID);
    const traceparent = record.headers.traceparent;
    if (isPlainTraceparent(traceparent)) w.quoted(traceparent, 3, 35);
    else w.text(traceIdOf(headerText(traceparent)));
    w.bytes(END);
    const payload = this.slab.subarray(this.at, w.at);
    this.at = w.at;
    return payload;
  }

  private reserve(bytes: number): void {
    if (this.slab.length - this.at >= bytes) return;
    this.slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, bytes));
    this.at = 0;
  }

  private sameVisibility(): boolean {
    const { bytes, spans } = this.scan;
    let same = this.visibleOf.length === VISIBILITY_TEXTS.length;
    for (let i = 0; same && i < VISIBILITY_TEXTS.length; i++) {
      const field = VISIBILITY_TEXTS[i]!;
      same = sameText(bytes, spans[field]!, spans[field + 1]!, this.visibleOf[i]!);
    }
    if (!same) VISIBILITY_TEXTS.forEach((field, i) => (this.visibleOf[i] = Buffer.from(bytes.subarray(spans[field]!, spans[field + 1]!))));
    return same;
  }
}

function sameText(bytes: Buffer, start: number, end: number, text: Uint8Array): boolean {
  if (end - start !== text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[start + i] !== text[i]) return false;
  return true;
}

/** A byte JSON.stringify writes as it is: printable ASCII but `"` and `\`. */
const plain = (byte: number) => byte >= 0x20 && byte <= 0x7f && byte !== 0x22 && byte !== 0x5c;

/**
 * A traceparent header whose trace id is its bytes 3 to 35, as traceIdOf reads it: exactly 55 bytes,
 * lowercase hex and the three dashes where the regex wants them (nothing for trim to remove).
 */
function isPlainTraceparent(value: LogRecord['headers'][string]): value is Buffer {
  if (!Buffer.isBuffer(value) || value.length !== 55) return false;
  for (let i = 0; i < 55; i++) {
    const byte = value[i]!;
    const ok = i === 2 || i === 35 || i === 52 ? byte === 0x2d : (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66);
    if (!ok) return false;
  }
  return true;
}

/** Writes JSON into a slab with room enough (MarketDataTranscoder.reserve). */
class SlabWriter {
  constructor(
    private readonly out: Buffer,
    public at: number,
  ) {}

  byte(value: number): void {
    this.out[this.at++] = value;
  }

  bytes(value: Uint8Array): void {
    for (let i = 0; i < value.length; i++) this.out[this.at++] = value[i]!;
  }

  /** Text known to be ASCII that JSON writes as it is (a timestamp's, a number's). */
  ascii(value: string): void {
    for (let i = 0; i < value.length; i++) this.out[this.at++] = value.charCodeAt(i);
  }

  /** A number as JSON.stringify writes it: its JS text, `null` for NaN and the infinities. */
  number(value: number): void {
    this.ascii(Number.isFinite(value) ? String(value) : 'null');
  }

  /** Plain bytes between quotes. */
  quoted(src: Uint8Array, start: number, end: number): void {
    this.byte(0x22);
    for (let i = start; i < end; i++) this.out[this.at++] = src[i]!;
    this.byte(0x22);
  }

  /** A text field of the record as a JSON string: its bytes when JSON writes them as they are, else JSON.stringify of its text. */
  span(src: Buffer, spans: Uint32Array, field: number): void {
    const start = spans[field]!;
    const end = spans[field + 1]!;
    for (let i = start; i < end; i++) if (!plain(src[i]!)) return this.json(textOf(src, start, end));
    this.quoted(src, start, end);
  }

  /** A string as JSON.stringify writes it. */
  text(value: string): void {
    for (let i = 0; i < value.length; i++) if (!plain(value.charCodeAt(i))) return this.json(value);
    this.byte(0x22);
    this.ascii(value);
    this.byte(0x22);
  }

  private json(value: string): void {
    this.at += this.out.write(JSON.stringify(value), this.at, 'utf8');
  }
}
