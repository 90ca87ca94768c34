import type { events, market } from '@marketpulse/proto';
import { ID, OWNER, PROVIDER, SOURCE, SUBJECT, SYMBOL, TickRecordScan, TYPE } from './tick_record_scan';

// The Event of a tick record (most of what a catch-up reads back), decoded without the generated
// code's Date per Timestamp (two per tick: Event.time and Tick.timestamp), which made a sixth of the
// read-back thread's work (bench/resume, session 14). It yields exactly the object events.Event.decode
// yields (same fields, same key order), and only for a record it reads the same way
// (tick_record_scan.ts). Any other record (another payload, an unknown field, a 64-bit or negative
// number, a timestamp with no valid Date) is undefined, and record_event.ts decodes it with the
// generated code.

const scan = new TickRecordScan();

/** The record's Event when it is a tick's this decoder reads exactly as the generated code does; else undefined. */
export function decodeTickEvent(value: Uint8Array): events.Event | undefined {
  return scan.read(value) ? eventOfScan(scan) : undefined;
}

/** The Event a scan accepted, as the generated code builds it. */
export function eventOfScan(scan: TickRecordScan): events.Event {
  return {
    id: scan.textOf(ID),
    type: scan.textOf(TYPE),
    source: scan.textOf(SOURCE),
    subject: scan.textOf(SUBJECT),
    time: scan.time,
    owner: scan.textOf(OWNER),
    payload: scan.hasTick ? { $case: 'market_data_update', market_data_update: tickOfScan(scan) } : undefined,
  };
}

function tickOfScan(scan: TickRecordScan): market.Tick {
  return {
    symbol: scan.textOf(SYMBOL),
    price: scan.price,
    volume: scan.volume,
    bid: scan.bid,
    ask: scan.ask,
    timestamp: scan.tickTime,
    provider: scan.textOf(PROVIDER),
    sequence: String(scan.sequence),
  };
}
