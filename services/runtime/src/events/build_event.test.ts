import { alerting, events, webhooks } from '@marketpulse/proto';
import { describe, expect, it } from 'vitest';
import { BusError } from '../bus/bus';
import { buildEvent } from './build_event';

const tick = {
  symbol: 'AAPL',
  price: 1,
  volume: 2,
  bid: 0.9,
  ask: 1.1,
  timestamp: '2024-01-15T10:30:00.000Z',
  provider: 'sim',
  sequence: '7',
};
const log = { level: 'INFO', module: 'm', message: 'hello', timestamp: undefined, service: 's', trace_id: '' };

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('buildEvent', () => {
  it('names the payload case after the type and fills id, time and owner when omitted', () => {
    const before = Date.now();
    const event = buildEvent('market_data_update', { source: 'market-data', subject: 'AAPL', payload: tick });
    expect(event).toMatchObject({ type: 'market_data_update', source: 'market-data', subject: 'AAPL', owner: '' });
    expect(event.payload).toEqual({ $case: 'market_data_update', market_data_update: tick });
    expect(event.id).toMatch(/^[\da-f]{8}-[\da-f]{4}-4[\da-f]{3}-[89ab][\da-f]{3}-[\da-f]{12}$/);
    expect(Date.parse(event.time!)).toBeGreaterThanOrEqual(before);
    expect(buildEvent('market_data_update', { source: 'market-data', subject: 'AAPL', payload: tick }).id).not.toBe(event.id);
  });

  it('keeps a given id and ISO time as they are, and writes a Date or epoch milliseconds as ISO text', () => {
    const fields = { id: 'given', source: 's', subject: 'x', payload: log };
    expect(buildEvent('system_log', { ...fields, time: '2024-01-15T12:30:00+02:00' }).time).toBe('2024-01-15T12:30:00+02:00');
    expect(buildEvent('system_log', { ...fields, time: Date.UTC(2024, 0, 15) }).time).toBe('2024-01-15T00:00:00.000Z');
    expect(buildEvent('system_log', { ...fields, time: new Date(Date.UTC(2024, 0, 16)) }).time).toBe('2024-01-16T00:00:00.000Z');
    expect(buildEvent('system_log', fields).id).toBe('given');
  });

  it('builds what the bus encodes and decodes unchanged', () => {
    const event = buildEvent('alert_triggered', {
      id: 'a-1',
      source: 'alerting',
      subject: 'AAPL',
      time: '2024-01-15T10:30:00.000Z',
      owner: 'user-1',
      payload: alerting.Alert.fromPartial({ id: 'a-1', rule_id: 'r-1', symbol: 'AAPL', message: 'above 150' }),
    });
    expect(events.Event.decode(events.Event.encode(event).finish())).toEqual(event);
  });

  it("refuses an owner on a system-only type, and an owned type without one (the catalog's visibility)", () => {
    const owned = () => buildEvent('market_data_update', { source: 'market-data', subject: 'AAPL', payload: tick, owner: 'user-1' });
    expect(owned).toThrow(BusError);
    expect(owned).toThrow(/market_data_update event is a system event and has no owner/);
    const payload = webhooks.DeliveryOutcome.fromPartial({ delivery_id: 'd' });
    const unowned = () => buildEvent('webhook_delivery', { source: 'webhook-delivery', subject: 'ep', payload });
    expect(unowned).toThrow(/webhook_delivery event belongs to a user; set owner/);
    expect(thrown(unowned)).toMatchObject({ name: 'BusError', code: 'BUS_INVALID_EVENT' });
  });

  it('lets a system-or-owned type be either', () => {
    const fields = {
      source: 'alerting',
      subject: 'AAPL',
      payload: { status: 'normal', message: '', drawdown_pct: '0', daily_loss_pct: '0' },
    };
    expect(buildEvent('risk_status_update', fields).owner).toBe('');
    expect(buildEvent('risk_status_update', { ...fields, owner: 'user-1' }).owner).toBe('user-1');
  });
});
