import type { market } from '@marketpulse/proto';
import { vwap, type Candle } from './candles';
import type { QualityIssue } from './quality';
import type { QuoteState } from './quotes';
import type { Tick } from './tick';

/* Domain -> proto messages, shared by the gRPC server (grpc/server.ts) and the event builders (events.ts). */

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrUndefined = (ms: number | undefined) => (ms === undefined ? undefined : iso(ms));

export function tickMessage(tick: Tick, sequence: number, time = iso(tick.timeMs)): market.Tick {
  return {
    symbol: tick.symbol,
    price: tick.price,
    volume: tick.volume,
    bid: tick.bid,
    ask: tick.ask,
    timestamp: time,
    provider: tick.provider,
    sequence: String(sequence),
  };
}

export function candleMessage(candle: Candle): market.Candle {
  return {
    symbol: candle.symbol,
    interval: candle.interval,
    open_time: iso(candle.startMs),
    close_time: iso(candle.endMs),
    open: candle.open,
    high: candle.high,
    low: candle.low,
    close: candle.close,
    volume: candle.volume,
    vwap: vwap(candle),
    trade_count: String(candle.trades),
  };
}

export function issueMessage(issue: QualityIssue): market.DataQualityIssue {
  return {
    id: issue.id,
    kind: issue.kind,
    symbol: issue.symbol,
    provider: issue.provider,
    severity: issue.severity,
    detail: issue.detail,
    detected_at: iso(issue.detectedAtMs),
    observed_value: issue.observedValue,
    expected_value: issue.expectedValue,
    window_start: isoOrUndefined(issue.windowStartMs),
    window_end: isoOrUndefined(issue.windowEndMs),
  };
}

export function quoteMessage(q: QuoteState): market.Quote {
  const change = q.price - q.previousClose;
  return {
    symbol: q.symbol,
    price: q.price,
    bid: q.bid,
    ask: q.ask,
    volume: q.dayVolume,
    open: q.open,
    high: q.high,
    low: q.low,
    previous_close: q.previousClose,
    change,
    change_percent: q.previousClose !== 0 ? (change / q.previousClose) * 100 : 0,
    timestamp: new Date(q.timeMs).toISOString(),
    provider: q.provider,
  };
}
