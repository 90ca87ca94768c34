import { describe, expect, it } from 'vitest';
import { ANONYMOUS, type Principal } from '../auth';
import { jsonFrame, type Frame } from './encode';
import type { Publication } from './history';
import { Hub, type ChannelEncoder, type PublicationInput } from './hub';

function event(id: string, subject = 'AAPL', owner = ''): PublicationInput {
  return {
    id,
    type: 'market_data_update',
    source: 'test',
    subject,
    owner,
    time: '2024-01-01T00:00:00Z',
    traceId: '',
    data: { price: Number(id.slice(1)) },
  };
}

const user = (userId: string, channels = ['*'], scopes: Principal['scopes'] = ['read']): Principal => ({
  userId,
  scopes,
  channels,
  method: 'jwt',
});

function countingEncoder(key = 'k'): ChannelEncoder & { calls: number } {
  const enc = {
    key,
    calls: 0,
    encode(pub: Publication): Frame {
      enc.calls++;
      return jsonFrame({ id: pub.id });
    },
  };
  return enc;
}

function sink(principal: Principal = ANONYMOUS) {
  const frames: Frame[] = [];
  return { principal, frames, deliver: (f: Frame) => frames.push(f), ids: () => frames.map((f) => JSON.parse(f.payload.toString()).id) };
}

describe('Hub', () => {
  it('encodes a broadcast once per encoder group and hands every subscriber the same bytes', () => {
    const hub = new Hub(10);
    const enc = countingEncoder();
    const subs = Array.from({ length: 50 }, () => sink());
    for (const s of subs) hub.subscribe('market-data:AAPL', enc, s);
    hub.publish(['market-data:AAPL'], event('e1'));
    expect(enc.calls).toBe(1);
    const first = subs[0]!.frames[0]!;
    for (const s of subs) expect(s.frames[0]!.payload).toBe(first.payload);
  });

  it('delivers only to subscribers of the published channel, and stops after unsubscribe', () => {
    const hub = new Hub(10);
    const enc = countingEncoder();
    const aapl = sink();
    const msft = sink();
    hub.subscribe('market-data:AAPL', enc, aapl);
    hub.subscribe('market-data:MSFT', enc, msft);
    hub.publish(['market-data:AAPL'], event('e1'));
    hub.unsubscribe('market-data:AAPL', enc.key, aapl);
    hub.publish(['market-data:AAPL'], event('e2'));
    expect(aapl.ids()).toEqual(['e1']);
    expect(msft.ids()).toEqual([]);
  });

  it('runs its after-publish hook once per publication, after that publication was delivered', () => {
    const s = sink();
    const seen: number[] = [];
    const hub = new Hub(10, () => seen.push(s.frames.length));
    hub.subscribe('c', countingEncoder(), s);
    hub.publish(['c'], event('e1'));
    hub.publish(['c'], event('e2'));
    expect(seen).toEqual([1, 2]);
  });

  it('drops a redelivered event id instead of sending it twice', () => {
    const hub = new Hub(10);
    const s = sink();
    hub.subscribe('c', countingEncoder(), s);
    expect(hub.publish(['c'], event('e1'))).not.toBeNull();
    expect(hub.publish(['c'], event('e1'))).toBeNull();
    expect(s.ids()).toEqual(['e1']);
    expect(hub.stats().duplicates_dropped).toBe(1);
  });

  it('recovers what a client missed after the id it last saw, oldest first, across channels', () => {
    const hub = new Hub(10);
    hub.publish(['portfolio'], event('e1'));
    hub.publish(['system'], event('e2'));
    hub.publish(['portfolio'], event('e3'));
    hub.publish(['other'], event('e4'));
    hub.publish(['system'], event('e5'));
    const r = hub.recover(['portfolio', 'system'], 'e1', ANONYMOUS);
    expect(r.recovered && r.publications.map((p) => p.id)).toEqual(['e2', 'e3', 'e5']);
    expect(hub.newestId(['portfolio', 'system'], ANONYMOUS)).toBe('e5');
  });

  it('says it cannot recover when the id is unknown or what followed it was evicted', () => {
    const hub = new Hub(3);
    for (let i = 1; i <= 5; i++) hub.publish(['c'], event(`e${i}`));
    expect(hub.recover(['c'], 'nope', ANONYMOUS)).toEqual({ recovered: false });
    expect(hub.recover(['c'], 'e1', ANONYMOUS)).toEqual({ recovered: false });
    const r = hub.recover(['c'], 'e3', ANONYMOUS);
    expect(r.recovered && r.publications.map((p) => p.id)).toEqual(['e4', 'e5']);
    const other = new Hub(2);
    other.publish(['a'], event('a1'));
    for (let i = 1; i <= 3; i++) other.publish(['b'], event(`b${i}`));
    expect(other.recover(['a', 'b'], 'a1', ANONYMOUS)).toEqual({ recovered: false });
  });

  it('delivers an owned event to its owner and operators only, and a system event to every reader of the channel', () => {
    const hub = new Hub(10);
    const enc = countingEncoder();
    const alice = sink(user('alice'));
    const bob = sink(user('bob'));
    const ops = sink(user('ops', ['*'], ['admin']));
    const anonymous = sink();
    const narrow = sink(user('alice', ['market-data:*']));
    for (const s of [alice, bob, ops, anonymous, narrow]) hub.subscribe('alerts', enc, s);
    hub.publish(['alerts', 'events'], event('private', 'AAPL', 'alice'));
    hub.publish(['alerts', 'events'], event('system'));
    expect(enc.calls).toBe(2);
    expect([alice, bob, ops, anonymous, narrow].map((s) => s.ids())).toEqual([
      ['private', 'system'],
      ['system'],
      ['private', 'system'],
      ['system'],
      [],
    ]);
    // Resume and history replay follow the same rule.
    hub.publish(['alerts', 'events'], event('later', 'AAPL', 'alice'));
    const replay = (p: Principal) => {
      const r = hub.recover(['alerts'], 'private', p);
      return r.recovered ? r.publications.map((x) => x.id) : null;
    };
    expect([replay(user('alice')), replay(user('bob')), replay(ANONYMOUS)]).toEqual([['system', 'later'], ['system'], ['system']]);
  });

  it('reads the principal at each delivery, so a re-authenticated subscriber sees what its new principal may', () => {
    const hub = new Hub(10);
    const s: ReturnType<typeof sink> & { principal: Principal } = sink(user('alice'));
    hub.subscribe('events', countingEncoder(), s);
    hub.publish(['alerts', 'events'], event('a1', 'AAPL', 'alice'));
    s.principal = user('alice', ['market-data:*']);
    hub.publish(['alerts', 'events'], event('a2'));
    hub.publish(['market-data:AAPL', 'events'], event('t1'));
    expect(s.ids()).toEqual(['a1', 't1']);
  });

  it('skips subscribers whose encoder declines the publication', () => {
    const hub = new Hub(10);
    const s = sink();
    hub.subscribe('c', { key: 'none', encode: () => null }, s);
    hub.publish(['c'], event('e1'));
    expect(s.frames).toEqual([]);
  });
});
