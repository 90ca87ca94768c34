import { describe, expect, it } from 'vitest';
import type { Relay } from './messages';
import { RecentPublications } from './recent_publications';

const relay = (n: number): Relay => ({ t: 'relay', events: Array.from({ length: n }, () => new Uint8Array([n])), headers: {} });

describe('RecentPublications (a replacement worker history backlog)', () => {
  it('keeps the newest batches, oldest first, within the event count', () => {
    const recent = new RecentPublications(5, 60_000, () => 0);
    const [a, b, c] = [relay(2), relay(2), relay(2)];
    recent.add(a);
    recent.add(b);
    expect(recent.snapshot()).toEqual([a, b]);
    recent.add(c);
    expect(recent.snapshot()).toEqual([b, c]);
  });

  it('drops batches older than the history keeps', () => {
    let now = 0;
    const recent = new RecentPublications(100, 1000, () => now);
    const [a, b] = [relay(1), relay(1)];
    recent.add(a);
    now = 600;
    recent.add(b);
    now = 1200;
    expect(recent.snapshot()).toEqual([b]);
    now = 1700;
    expect(recent.snapshot()).toEqual([]);
  });

  it('keeps nothing with a limit of 0 (Kafka: a worker reads its history from Kafka)', () => {
    const recent = new RecentPublications(0, 1000, () => 0);
    recent.add(relay(1));
    expect(recent.snapshot()).toEqual([]);
  });
});
