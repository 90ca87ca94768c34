import type { events } from '@marketpulse/proto';
import { buildEvent } from '@marketpulse/runtime';
import type { Candle } from './candles';
import { candleMessage, issueMessage, tickMessage } from './proto_mapping';
import type { QualityIssue } from './quality';
import type { Tick } from './tick';

const iso = (ms: number) => new Date(ms).toISOString();

/** Builds the Event envelopes market-data publishes; `source` is the service name, the subject the symbol. */
export class EventFactory {
  constructor(private readonly source: string) {}

  tick(tick: Tick, sequence: number): events.Event {
    const time = iso(tick.timeMs);
    return buildEvent('market_data_update', {
      source: this.source,
      subject: tick.symbol,
      time,
      payload: tickMessage(tick, sequence, time),
    });
  }

  aggregation(candle: Candle): events.Event {
    return buildEvent('aggregation', { source: this.source, subject: candle.symbol, time: candle.endMs, payload: candleMessage(candle) });
  }

  dataQualityIssue(issue: QualityIssue): events.Event {
    return buildEvent('data_quality_issue', {
      id: issue.id,
      source: this.source,
      subject: issue.symbol,
      time: issue.detectedAtMs,
      payload: issueMessage(issue),
    });
  }
}
