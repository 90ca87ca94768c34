import { describe, expect, it } from 'vitest';
import { delegate, patternCovers } from './delegation';
import { canRead, type Principal, type Scope } from './principal';

const jwt = (scopes: Scope[], channels: string[]): Principal => ({
  userId: 'alice',
  scopes,
  channels,
  method: 'jwt',
  expiresAt: Date.now() + 60_000,
});

describe('delegation only downward', () => {
  it("gives a key made by a market-data:* token that token's channels, never every channel", () => {
    const narrow = jwt(['read', 'keys:write'], ['market-data:*']);
    const made = delegate(narrow, { scopes: ['read'] });
    expect(made).toEqual({ ok: true, scopes: ['read'], channels: ['market-data:*'] });
    const wider = delegate(narrow, { scopes: ['read'], channels: ['*'] });
    expect(wider).toEqual({ ok: false, scopes: [], channels: ['*'] });
    expect(delegate(narrow, { scopes: ['read'], channels: ['alerts'] })).toMatchObject({ ok: false, channels: ['alerts'] });
    expect(delegate(narrow, { scopes: ['read'], channels: ['market-data:AAPL'] })).toMatchObject({
      ok: true,
      channels: ['market-data:AAPL'],
    });
  });

  it('refuses scopes the creator lacks, and caps a key made by an expiring key at its expiry', () => {
    expect(delegate(jwt(['read', 'keys:write'], ['*']), { scopes: ['publish'] })).toMatchObject({ ok: false, scopes: ['publish'] });
    const parent: Principal = {
      userId: 'bob',
      scopes: ['read', 'keys:write'],
      channels: ['*'],
      method: 'api_key',
      keyId: 'k',
      expiresAt: Date.parse('2030-01-01T00:00:00Z'),
    };
    expect(delegate(parent, { scopes: ['read'] })).toMatchObject({ ok: true, expiresAt: new Date('2030-01-01T00:00:00Z') });
    expect(delegate(parent, { scopes: ['read'], expiresAt: new Date('2029-01-01T00:00:00Z') })).toMatchObject({
      expiresAt: new Date('2029-01-01T00:00:00Z'),
    });
  });

  it('never lets a delegated key read a channel its creator cannot, over every combination of a few patterns', () => {
    const names = ['market-data:AAPL', 'market-data:MSFT', 'alerts', 'portfolio', 'predictions:AAPL', 'system'];
    const patterns = [...names, '*', 'market-data:*', 'predictions:*', 'market-*', 'a*'];
    const sets: string[][] = [[]];
    for (const a of patterns) {
      sets.push([a]);
      for (const b of patterns) if (a < b) sets.push([a, b]);
    }
    let checked = 0;
    for (const creatorChannels of sets) {
      const creator = jwt(['read', 'keys:write'], creatorChannels);
      for (const requested of [undefined, ...sets]) {
        const made = delegate(creator, { scopes: ['read'], ...(requested ? { channels: requested } : {}) });
        if (!made.ok) continue;
        const key: Principal = { userId: 'alice', scopes: made.scopes, channels: made.channels, method: 'api_key' };
        for (const channel of names)
          if (canRead(key, channel) && !canRead(creator, channel))
            throw new Error(`${creatorChannels} -> ${made.channels} reads ${channel}`);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(1000);
    expect(patternCovers('market-data:*', 'market-data:AAPL')).toBe(true);
    expect(patternCovers('market-data:AAPL', 'market-data:*')).toBe(false);
  });
});
