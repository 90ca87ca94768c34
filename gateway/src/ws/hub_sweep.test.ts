import { describe, expect, it } from 'vitest';
import { ANONYMOUS } from '../auth';
import { loadGatewayConfig } from '../config';
import { jsonFrame, type Frame } from './encode';
import type { Publication } from './history';
import { DEFAULT_MAX_IDLE_CHANNELS, Hub, type ChannelEncoder, type PublicationInput } from './hub';

// Issue "stream leftovers" (engineer S), finding 3: every made-up symbol a foreign producer sent
// (market-data:ZZZ1, ZZZ2, …) left a hub channel with its history for ever. Now channels without a
// subscriber are dropped once their history expired, and at most WS_HUB_MAX_IDLE_CHANNELS of them
// are kept (least recently published dropped first). A resume across a dropped channel is answered
// `recovered: false` (the gateway then reads it back from Kafka), never as "nothing was missed".

function tick(id: string, symbol: string): PublicationInput {
  return { id, type: 'market_data_update', source: 't', subject: symbol, owner: '', time: '2024-01-01T00:00:00Z', traceId: '', data: {} };
}

const publishTick = (hub: Hub, id: string, symbol: string) => hub.publish([`market-data:${symbol}`, 'events'], tick(id, symbol));

const encoder: ChannelEncoder = { key: 'k', encode: (pub: Publication) => jsonFrame({ id: pub.id }) };

function sink() {
  const frames: Frame[] = [];
  return {
    principal: ANONYMOUS,
    frames,
    deliver: (f: Frame) => void frames.push(f),
    ids: () => frames.map((f) => JSON.parse(f.payload.toString()).id),
  };
}

describe('Hub channels without subscribers', () => {
  it('are at most WS_HUB_MAX_IDLE_CHANNELS however many made-up symbols are published, the least recently published dropped first', () => {
    const hub = new Hub(100, () => {}, Infinity, 50);
    const reader = sink();
    hub.subscribe('market-data:AAPL', encoder, reader);
    for (let i = 0; i < 5000; i++) {
      publishTick(hub, `z${i}`, `ZZZ${i}`);
      // Every channel without a subscriber counts (the `events` and type channels too), plus AAPL's.
      expect(hub.stats().channels).toBeLessThanOrEqual(51);
      if (i % 100 === 0) publishTick(hub, `a${i}`, 'AAPL');
    }
    // The newest made-up symbols are kept, the oldest gone; the subscribed channel is never dropped.
    expect(hub.newestId(['market-data:ZZZ4999'], ANONYMOUS)).toBe('z4999');
    expect(hub.newestId(['market-data:ZZZ0'], ANONYMOUS)).toBeUndefined();
    expect(hub.newestId(['market-data:AAPL'], ANONYMOUS)).toBe('a4900');
    expect(reader.ids()).toEqual(Array.from({ length: 50 }, (_, k) => `a${k * 100}`));
  });

  it('are dropped once their history has expired by age (WS_HISTORY_MAX_AGE_MS), on the sweep', () => {
    const hub = new Hub(100, () => {}, 60_000);
    const reader = sink();
    hub.subscribe('market-data:AAPL', encoder, reader);
    for (let i = 0; i < 300; i++) publishTick(hub, `z${i}`, `ZZZ${i}`);
    publishTick(hub, 'a1', 'AAPL');
    expect(hub.stats().channels).toBe(300 + 3);
    hub.sweep(Date.now() + 30_000);
    expect(hub.stats().channels).toBe(300 + 3);
    hub.sweep(Date.now() + 61_000);
    // AAPL stays: it has a subscriber (its history expired all the same).
    expect(hub.stats().channels).toBe(1);
    expect(hub.stats().subscribers_by_channel).toEqual({ 'market-data:AAPL': 1 });
  });

  it('never make a resume across a dropped channel look complete: recover() says so and the gateway reads back from Kafka', () => {
    const hub = new Hub(100, () => {}, Infinity, 10);
    publishTick(hub, 'q1', 'QQQ');
    publishTick(hub, 'q2', 'QQQ');
    // The client saw q1 on [events, market-data:QQQ]; q2 is in memory: recovered, as before.
    expect(hub.recover(['events', 'market-data:QQQ'], 'q1', ANONYMOUS)).toEqual({
      recovered: true,
      publications: [expect.objectContaining({ id: 'q2' })],
    });
    // Made-up symbols push QQQ's channel out (events stays: it is published to most recently).
    for (let i = 0; i < 20; i++) publishTick(hub, `z${i}`, `ZZZ${i}`);
    expect(hub.newestId(['market-data:QQQ'], ANONYMOUS)).toBeUndefined();
    expect(hub.recover(['events', 'market-data:QQQ'], 'q1', ANONYMOUS)).toEqual({ recovered: false });
    expect(hub.recover(['market-data:QQQ'], 'q1', ANONYMOUS)).toEqual({ recovered: false });
    // Made again by a new tick, the channel does not pass off its new history as all there was.
    publishTick(hub, 'q3', 'QQQ');
    expect(hub.recover(['market-data:QQQ', 'events'], 'q1', ANONYMOUS)).toEqual({ recovered: false });
    // A client that saw q3 missed nothing the hub dropped: recovered from memory.
    publishTick(hub, 'q4', 'QQQ');
    expect(hub.recover(['market-data:QQQ'], 'q3', ANONYMOUS)).toEqual({
      recovered: true,
      publications: [expect.objectContaining({ id: 'q4' })],
    });
    // A channel never dropped is not held back by the others' drops.
    const fresh = new Hub(100, () => {}, Infinity, 10);
    fresh.subscribe('market-data:AAPL', encoder, sink());
    publishTick(fresh, 'a1', 'AAPL');
    for (let i = 0; i < 20; i++) publishTick(fresh, `z${i}`, `ZZZ${i}`);
    publishTick(fresh, 'a2', 'AAPL');
    expect(fresh.recover(['market-data:AAPL'], 'a1', ANONYMOUS)).toEqual({
      recovered: true,
      publications: [expect.objectContaining({ id: 'a2' })],
    });
  });

  it('are bounded by WS_HUB_MAX_IDLE_CHANNELS, 10,000 unless set, checked at start-up', () => {
    expect(loadGatewayConfig({}).WS_HUB_MAX_IDLE_CHANNELS).toBe(DEFAULT_MAX_IDLE_CHANNELS);
    expect(loadGatewayConfig({ WS_HUB_MAX_IDLE_CHANNELS: '20' }).WS_HUB_MAX_IDLE_CHANNELS).toBe(20);
    for (const wrong of ['0', '-1', 'many', '1.5']) {
      expect(() => loadGatewayConfig({ WS_HUB_MAX_IDLE_CHANNELS: wrong }), wrong).toThrow(/WS_HUB_MAX_IDLE_CHANNELS/);
    }
  });
});
