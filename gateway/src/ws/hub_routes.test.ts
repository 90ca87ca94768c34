import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Principal } from '../auth';
import { mayReceive } from '../visibility';
import { matchesFilters, streamEncoder, subscriptionId } from './doors/stream';
import type { Frame } from './encode';
import type { Publication } from './history';
import { typeChannel } from './history/type_channel';
import { Hub, type ChannelEncoder, type PublicationInput } from './hub';

const reader: Principal = { userId: 'u1', scopes: ['read'], channels: ['*'], method: 'jwt' };

function event(id: string, subject: string): PublicationInput {
  return { id, type: 'equity_update', source: 'svc', subject, owner: '', time: '2026-12-05T20:00:00Z', traceId: '', data: {} };
}

/** What each encoder was asked to encode: the per-publication work the index saves. */
function counted(encoder: ChannelEncoder, calls: { n: number }): ChannelEncoder {
  return { key: encoder.key, route: encoder.route, encode: (pub) => (calls.n++, encoder.encode(pub)) };
}

describe('Hub routes (issue 19)', () => {
  it('offers a publication only to the /ws/stream subscriptions its subject leads to, however many there are', () => {
    const hub = new Hub(10);
    const calls = { n: 0 };
    const received: string[] = [];
    for (let i = 0; i < 100; i++) {
      const filters = { subject: `BENCH${i}` };
      const encoder = counted(streamEncoder(subscriptionId('events', filters), 'events', filters), calls);
      hub.subscribe('events', encoder, { principal: reader, deliver: () => received.push(`BENCH${i}`) });
    }
    hub.publish(['portfolio', 'events'], event('e1', 'BENCH42'));
    expect(received).toEqual(['BENCH42']);
    expect(calls.n).toBe(1);
  });

  it('offers a publication to the subscriptions routed on any of its values, and to those without filters', () => {
    const hub = new Hub(10);
    const received: string[] = [];
    const subscribe = (name: string, filters: Record<string, unknown>) =>
      hub.subscribe('events', streamEncoder(subscriptionId('events', filters), 'events', filters), {
        principal: reader,
        deliver: () => received.push(name),
      });
    subscribe('any-of', { subject: ['A', 'B', 'A'] });
    subscribe('all', {});
    subscribe('by-type', { event_type: 'equity_update', source: 'svc' });
    subscribe('other-type', { event_type: 'alert_triggered' });
    hub.publish(['portfolio', 'events'], event('e1', 'B'));
    expect(received.sort()).toEqual(['all', 'any-of', 'by-type']);
  });
});

// The property: the routed hub delivers exactly what the old scan (every subscription's filters
// tested against every publication, then mayReceive per subscriber) delivered.

const PATHS = [
  'subject',
  'event_type',
  'source',
  'event_id',
  'payload',
  'payload.symbol',
  'payload.level',
  'payload.x.y',
  'symbol',
  'level',
  'constructor',
  'toString',
];
const VALUES = ['AAPL', 'MSFT', '', 'alert_triggered', 'market_data_update', 'svc', 'e1', 1, 0, true, false, null];
const TYPES = ['market_data_update', 'alert_triggered', 'rate_limit_alert', 'equity_update'];
const FAMILY = ['market-data:AAPL', 'alerts', 'portfolio', 'events'];

const value = fc.constantFrom(...VALUES);
const filters = fc.dictionary(fc.constantFrom(...PATHS), fc.oneof(value, fc.array(value, { maxLength: 3 })), { maxKeys: 3 });
const subscription = fc.record({ type: fc.constantFrom('events', 'alerts'), filters });
const principal = fc.record({
  userId: fc.constantFrom('u1', 'u2'),
  scopes: fc.constantFrom<Principal['scopes'][]>(['read'], ['admin']),
  channels: fc.constantFrom(['*'], ['alerts'], ['market-data:*'], [] as string[]),
  method: fc.constantFrom<Principal['method'][]>('jwt', 'anonymous'),
});
const publication = fc.record({
  type: fc.constantFrom(...TYPES),
  subject: fc.constantFrom('AAPL', 'MSFT', ''),
  source: fc.constantFrom('svc', 'other'),
  owner: fc.constantFrom('', 'u1', 'u2'),
  family: fc.constantFrom(...FAMILY),
  data: fc.record({ symbol: value, level: value, x: fc.constantFrom<unknown>({ y: 'AAPL' }, 'AAPL', null) }, { requiredKeys: [] }),
});

/** The `alerts` subscription type's event types and hub channels (doors/stream.ts). */
const ALERT_TYPES = new Set(['alert_triggered', 'rate_limit_alert']);
const hubChannels = (type: string) => (type === 'events' ? ['events'] : [...ALERT_TYPES].map(typeChannel));

/** The old per-subscription test: the subscription type's event types, then its filters on the type's view. */
function scanMatches(type: string, f: Record<string, unknown>, pub: Publication): boolean {
  if (type === 'events') {
    const view = {
      event_id: pub.id,
      event_type: pub.type,
      source: pub.source,
      subject: pub.subject,
      timestamp: pub.time,
      payload: pub.data,
    };
    return matchesFilters(view, f);
  }
  return ALERT_TYPES.has(pub.type) && matchesFilters({ event_type: pub.type, ...pub.data }, f);
}

describe('Hub routes: property', () => {
  it('delivers to each subscriber exactly what the filter scan and mayReceive allow', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ sub: subscription, who: principal, dropped: fc.boolean() }), { minLength: 1, maxLength: 12 }),
        fc.array(publication, { minLength: 1, maxLength: 12 }),
        (holders, pubs) => {
          const hub = new Hub(100);
          const got: string[] = [];
          const held = holders.map(({ sub, who, dropped }, i) => {
            const id = subscriptionId(sub.type, sub.filters);
            const encoder = streamEncoder(id, sub.type, sub.filters);
            // An `events` data message's id is its event's `event_id` (seed 002); a typed one's is `id`.
            const idOf = (m: any) => (m.id ?? m.data.event.event_id) as string;
            const subscriber = {
              principal: who,
              deliver: (frame: Frame) => got.push(`${i}|${idOf(JSON.parse(frame.payload.toString()))}`),
            };
            for (const channel of hubChannels(sub.type)) hub.subscribe(channel, encoder, subscriber);
            if (dropped) for (const channel of hubChannels(sub.type)) hub.unsubscribe(channel, encoder.key, subscriber);
            return { ...sub, who, dropped };
          });
          const expected: string[] = [];
          pubs.forEach((p, n) => {
            const channels = p.family === 'events' ? ['events'] : [p.family, 'events'];
            const input: PublicationInput = {
              id: `e${n}`,
              type: p.type,
              source: p.source,
              subject: p.subject,
              owner: p.owner,
              time: '2026-12-05T20:00:00Z',
              traceId: '',
              data: p.data,
            };
            const pub = hub.publish(channels, input)!;
            held.forEach((h, i) => {
              if (!h.dropped && scanMatches(h.type, h.filters, pub) && mayReceive(h.who, pub)) expected.push(`${i}|${pub.id}`);
            });
          });
          expect(got.sort()).toEqual(expected.sort());
        },
      ),
      { seed: 19, numRuns: 300 },
    );
  });
});
