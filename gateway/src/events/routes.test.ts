import { alerting, events, market, webhooks } from '@marketpulse/proto';
import { EVENT_TYPES } from '@marketpulse/runtime';
import { describe, expect, it } from 'vitest';
import type { Principal, Scope } from '../auth';
import { mayReceive } from '../visibility';
import { channelsOf, payloadOf, publicationOf, typesOfChannel } from './routes';

// Owned by a user: an always-owned type (webhook_delivery) that names no owner goes nowhere (below).
const event = (type: string, subject = 'aapl') => events.Event.fromPartial({ id: 'e', type, subject, owner: 'u1' });

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

describe('owners of consumed events (a producer that leaves the envelope owner out)', () => {
  const user = (userId: string, scopes: Scope[] = ['read']): Principal => ({ userId, scopes, channels: ['*'], method: 'jwt' });
  const [alice, bob, operator] = [user('alice'), user('bob'), user('ops', ['read', 'admin'])];
  /** Who of alice, bob and an operator receives the event, as every door, tRPC and resume decide it. */
  const readers = (fields: Partial<events.Event>) => {
    const event = events.Event.fromPartial({ id: 'e1', source: 'foreign', subject: 'AAPL', ...fields });
    const data = payloadOf(event);
    const visible = { channels: channelsOf(event, data), owner: publicationOf(event, undefined, data).owner };
    return Object.entries({ alice, bob, operator })
      .filter(([, p]) => mayReceive(p, visible))
      .map(([name]) => name);
  };
  const delivery = (userId: string) => ({
    $case: 'webhook_delivery' as const,
    webhook_delivery: webhooks.DeliveryOutcome.fromPartial({ delivery_id: 'd1', user_id: userId }),
  });
  const alert = (userId: string) => ({
    $case: 'alert_triggered' as const,
    alert_triggered: alerting.Alert.fromPartial({ id: 'a1', user_id: userId, symbol: 'AAPL' }),
  });

  it('an owned or user-named event without an owner reaches the user its payload names and operators, never everyone', () => {
    expect(readers({ type: 'webhook_delivery', owner: '', payload: delivery('alice') })).toEqual(['alice', 'operator']);
    expect(readers({ type: 'alert_triggered', owner: '', payload: alert('alice') })).toEqual(['alice', 'operator']);
    // An owned type that names nobody at all is nobody's to read.
    expect(readers({ type: 'webhook_delivery', owner: '', payload: delivery('') })).toEqual([]);
  });

  it('leaves system events and owned events with their owner as they are', () => {
    expect(readers({ type: 'alert_triggered', owner: '', payload: alert('') })).toEqual(['alice', 'bob', 'operator']);
    expect(readers({ type: 'webhook_delivery', owner: 'bob', payload: delivery('bob') })).toEqual(['bob', 'operator']);
    expect(readers({ type: 'alert_triggered', owner: 'alice', payload: alert('alice') })).toEqual(['alice', 'operator']);
    const tick = { $case: 'market_data_update' as const, market_data_update: market.Tick.fromPartial({ symbol: 'AAPL', price: 1 }) };
    expect(readers({ type: 'market_data_update', owner: '', payload: tick })).toEqual(['alice', 'bob', 'operator']);
  });
});
