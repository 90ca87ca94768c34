import { describe, expect, it } from 'vitest';
import { matchesFilters, subscriptionId } from './stream';

describe('native subscription filters (seed 002)', () => {
  const event = { event_type: 'user_action', user: { id: '123' }, payload: { symbol: 'AAPL' } };

  it('match dot paths exactly, and an array as any of its values', () => {
    expect(matchesFilters(event, { event_type: 'user_action', 'user.id': '123' })).toBe(true);
    expect(matchesFilters(event, { event_type: ['login', 'user_action'] })).toBe(true);
    expect(matchesFilters(event, { 'payload.symbol': ['MSFT', 'GOOG'] })).toBe(false);
    expect(matchesFilters(event, { 'user.id': 123 })).toBe(false);
    expect(matchesFilters(event, { 'missing.path': 'x' })).toBe(false);
    expect(matchesFilters(event, {})).toBe(true);
  });

  it('give equal subscriptions the same id whatever the key order, so their clients share bytes', () => {
    expect(subscriptionId('events', { a: 1, b: [1, 2] })).toBe(subscriptionId('events', { b: [1, 2], a: 1 }));
    expect(subscriptionId('events', { a: 1 })).not.toBe(subscriptionId('alerts', { a: 1 }));
  });
});
