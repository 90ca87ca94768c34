import { events } from '@marketpulse/proto';
import { EVENT_TYPES } from '@marketpulse/runtime';
import { describe, expect, it } from 'vitest';
import { channelsOf, typesOfChannel } from './routes';

const event = (type: string, subject = 'aapl') => events.Event.fromPartial({ id: 'e', type, subject });

describe('event routing (from the runtime event catalog)', () => {
  it('publishes each type to its catalog channel and the events firehose', () => {
    const routed = Object.fromEntries(EVENT_TYPES.map((type) => [type, channelsOf(event(type), {})]));
    expect(routed).toEqual({
      market_data_update: ['market-data:AAPL', 'events'],
      aggregation: ['aggregations:AAPL', 'events'],
      data_quality_issue: ['data-quality:AAPL', 'events'],
      prediction_complete: ['predictions:AAPL', 'events'],
      model_trained: ['models', 'events'],
      model_deployed: ['models', 'events'],
      backtest_complete: ['models', 'events'],
      alert_triggered: ['alerts', 'events'],
      provider_status_change: ['providers', 'events'],
      rate_limit_alert: ['providers', 'events'],
      status_update: ['status', 'events'],
      system_log: ['system', 'events'],
      system_error: ['system', 'events'],
      position_update: ['portfolio', 'events'],
      equity_update: ['portfolio', 'events'],
      risk_status_update: ['portfolio', 'events'],
      webhook_delivery: ['webhooks', 'events'],
    });
  });

  it('takes the symbol from the payload when the subject is empty, and sends an invalid symbol or unknown type to events only', () => {
    expect(channelsOf(event('prediction_complete', ''), { symbol: 'msft' })).toEqual(['predictions:MSFT', 'events']);
    expect(channelsOf(event('market_data_update', 'not a symbol!'), {})).toEqual(['events']);
    expect(channelsOf(event('not_a_type'), {})).toEqual(['events']);
  });

  it('reads back, for a resume, the types a channel can carry', () => {
    expect(typesOfChannel('market-data:AAPL', EVENT_TYPES).sort()).toEqual(['market_data_update']);
    expect(typesOfChannel('models', EVENT_TYPES).sort()).toEqual(['backtest_complete', 'model_deployed', 'model_trained']);
    expect(typesOfChannel('system', EVENT_TYPES).sort()).toEqual(['system_error', 'system_log']);
    expect(typesOfChannel('type:alert_triggered', EVENT_TYPES)).toEqual(['alert_triggered']);
    expect(typesOfChannel('events', EVENT_TYPES)).toEqual([...EVENT_TYPES]);
    expect(typesOfChannel('nowhere', EVENT_TYPES)).toEqual([]);
  });
});
