import { alerting, events, webhooks } from '@marketpulse/proto';
import { describe, expect, it } from 'vitest';
import { ownerAllows, ownerOfEvent } from './visibility';

describe('event visibility by owner', () => {
  const alice = { userId: 'alice', operator: false };
  const bob = { userId: 'bob', operator: false };
  const operator = { userId: 'ops', operator: true };
  const anonymous = { userId: undefined, operator: false };

  it('shows an owned event to its owner and operators, never to another user or an anonymous client', () => {
    expect([alice, bob, operator, anonymous].map((v) => ownerAllows('alice', v))).toEqual([true, false, true, false]);
  });

  it('shows a system event (no owner) to everyone; channels decide the rest', () => {
    expect([alice, bob, operator, anonymous].every((v) => ownerAllows('', v))).toBe(true);
  });
});

describe('ownerOfEvent', () => {
  const event = (fields: Partial<events.Event>) => events.Event.fromPartial({ id: 'e1', source: 'foreign', ...fields });
  const alert = (userId: string) => ({
    $case: 'alert_triggered' as const,
    alert_triggered: alerting.Alert.fromPartial({ id: 'a1', user_id: userId }),
  });
  const delivery = (userId: string) => ({
    $case: 'webhook_delivery' as const,
    webhook_delivery: webhooks.DeliveryOutcome.fromPartial({ delivery_id: 'd1', user_id: userId }),
  });

  it("takes the payload's user when a producer left the envelope's owner out of a type that can be owned", () => {
    expect(ownerOfEvent(event({ type: 'alert_triggered', owner: '', payload: alert('alice') }))).toBe('alice');
    expect(ownerOfEvent(event({ type: 'webhook_delivery', owner: '', payload: delivery('alice') }))).toBe('alice');
  });

  it("keeps the envelope's owner, and system events everyone's", () => {
    expect(ownerOfEvent(event({ type: 'alert_triggered', owner: 'bob', payload: alert('bob') }))).toBe('bob');
    expect(ownerOfEvent(event({ type: 'alert_triggered', owner: '', payload: alert('') }))).toBe('');
    const log = { $case: 'system_log' as const, system_log: events.SystemLog.fromPartial({ message: 'x' }) };
    expect(ownerOfEvent(event({ type: 'system_log', owner: '', payload: log }))).toBe('');
    expect(ownerOfEvent(event({ type: 'not_a_type', owner: '' }))).toBe('');
  });
});
