import { describe, expect, it } from 'vitest';
import { PositionCodec, positionEpoch, positionKey, MAX_POSITION_CHARS } from './position_token';

const TOPICS = ['p.market_data_update', 'p.alert_triggered'];
const codec = new PositionCodec(positionEpoch('cluster-a', TOPICS), TOPICS);

/** What a client does: the acknowledgement's token, each partition's entry replaced by the last `pos` seen there. */
function merge(token: string, ...positions: string[]): string {
  const [header, ...entries] = token.split('.');
  const byKey = new Map(entries.map((e) => [positionKey(e), e]));
  for (const pos of positions) byKey.set(positionKey(pos), pos);
  return [header, ...byKey.values()].join('.');
}

describe('position tokens', () => {
  it('round-trips a frontier, offsets up to 2^53 - 1 included', () => {
    const frontier = new Map([
      ['p.market_data_update/0', 0],
      ['p.market_data_update/1', 127],
      ['p.market_data_update/2', 128],
      ['p.alert_triggered/0', 1_234_567],
      ['p.alert_triggered/65535', Number.MAX_SAFE_INTEGER],
    ]);
    const decoded = codec.decode(codec.encode(frontier));
    expect(decoded).toEqual({ ok: true, frontier });
  });

  it("an event's entry is short, and its first four characters name its partition whatever the offset", () => {
    const a = codec.entry('p.market_data_update', 2, 5)!;
    const b = codec.entry('p.market_data_update', 2, 9_000_000)!;
    expect(a.length).toBeLessThanOrEqual(6);
    expect(b.length).toBeLessThanOrEqual(10);
    expect(positionKey(a)).toBe(positionKey(b));
    expect(positionKey(codec.entry('p.market_data_update', 1, 5)!)).not.toBe(positionKey(a));
    expect(positionKey(codec.entry('p.alert_triggered', 2, 5)!)).not.toBe(positionKey(a));
    expect(codec.entry('p.unknown', 0, 1)).toBeUndefined();
  });

  it('a token merged with later entries means the later offsets (what a client sends back)', () => {
    const token = codec.encode(
      new Map([
        ['p.market_data_update/0', 10],
        ['p.market_data_update/1', 20],
      ]),
    );
    const merged = merge(token, codec.entry('p.market_data_update', 1, 25)!, codec.entry('p.market_data_update', 1, 31)!);
    expect(codec.decode(merged)).toEqual({
      ok: true,
      frontier: new Map([
        ['p.market_data_update/0', 10],
        ['p.market_data_update/1', 31],
      ]),
    });
  });

  it('a token of another cluster or topic list is CANNOT_RECOVER, never read at the wrong offsets', () => {
    const frontier = new Map([['p.market_data_update/0', 10]]);
    const otherCluster = new PositionCodec(positionEpoch('cluster-b', TOPICS), TOPICS).encode(frontier);
    const otherTopics = new PositionCodec(positionEpoch('cluster-a', [...TOPICS].reverse()), [...TOPICS].reverse()).encode(frontier);
    for (const token of [otherCluster, otherTopics]) expect(codec.decode(token)).toMatchObject({ ok: false, code: 'CANNOT_RECOVER' });
  });

  it.each([
    ['empty', ''],
    ['too long', 'A'.repeat(MAX_POSITION_CHARS + 1)],
    ['not base64url', 'AQ+/AAA.AAAB'],
    ['an event id', '7c9e6679-7425-40de-944b-e07fc1f90ae7'],
    ['a wrong version', `${Buffer.from([2, ...positionEpoch('cluster-a', TOPICS)]).toString('base64url')}`],
    ['a topic number past the list', (t: string) => `${t.split('.')[0]}.${Buffer.from([9, 0, 0, 1]).toString('base64url')}`],
    ['an entry without an offset', (t: string) => `${t.split('.')[0]}.${Buffer.from([0, 0, 0]).toString('base64url')}`],
    ['an unterminated varint', (t: string) => `${t.split('.')[0]}.${Buffer.from([0, 0, 0, 0x80]).toString('base64url')}`],
    ['bytes after the varint', (t: string) => `${t.split('.')[0]}.${Buffer.from([0, 0, 0, 1, 1]).toString('base64url')}`],
    ['a varint past 2^53', (t: string) => `${t.split('.')[0]}.${Buffer.from([0, 0, 0, ...Array(8).fill(0xff), 1]).toString('base64url')}`],
    ['an empty entry', (t: string) => `${t}.`],
    ['a non-canonical spelling', (t: string) => `${t.split('.')[0]}.AAABAR`],
  ])('refuses %s as INVALID_POSITION', (_what, make) => {
    const valid = codec.encode(new Map([['p.market_data_update/0', 1]]));
    const token = typeof make === 'string' ? make : make(valid);
    expect(codec.decode(token)).toMatchObject({ ok: false, code: 'INVALID_POSITION' });
  });
});
