import { randomUUID } from 'node:crypto';
import type { events, market } from '@marketpulse/proto';
import { vwap, type Candle } from './candles';
import type { QualityIssue } from './quality';
import type { Tick } from './tick';

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

/** Builds the Event envelopes market-data publishes; `source` is the service name. */
export class EventFactory {
  constructor(private readonly source: string) {}

  tick(tick: Tick, sequence: number): events.Event {
    const time = iso(tick.timeMs);
    return {
      id: randomUUID(),
      type: 'market_data_update',
      source: this.source,
      subject: tick.symbol,
      time,
      owner: '',
      payload: { $case: 'market_data_update', market_data_update: tickMessage(tick, sequence, time) },
    };
  }

  aggregation(candle: Candle): events.Event {
    return {
      id: randomUUID(),
      type: 'aggregation',
      source: this.source,
      subject: candle.symbol,
      time: iso(candle.endMs),
      owner: '',
      payload: { $case: 'aggregation', aggregation: candleMessage(candle) },
    };
  }

  dataQualityIssue(issue: QualityIssue): events.Event {
    return {
      id: issue.id,
      type: 'data_quality_issue',
      source: this.source,
      subject: issue.symbol,
      time: iso(issue.detectedAtMs),
      owner: '',
      payload: { $case: 'data_quality_issue', data_quality_issue: issueMessage(issue) },
    };
  }
}
