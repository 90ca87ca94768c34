import { createLogger } from '@marketpulse/runtime';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KeyRevocations, Principal } from '../auth';
import { KeySessions, type KeyHolder } from './key_sessions';

const logger = createLogger('key-sessions-test', {}, { level: 'silent' });

class FakeHolder implements KeyHolder {
  revokedTimes = 0;
  constructor(
    public principal: Principal | undefined,
    private readonly index?: KeySessions,
  ) {}
  keyRevoked(): void {
    this.revokedTimes++;
    // A real session leaves the index as it closes, while KeySessions walks the key's holders.
    this.index?.remove(this);
  }
}

const viaKey = (keyId: string): Principal => ({ userId: 'u', scopes: ['read'], channels: ['*'], method: 'api_key', keyId });
const viaJwt: Principal = { userId: 'u', scopes: ['read'], channels: ['*'], method: 'jwt' };

/** Revocations whose deadKeys answers from `dead` and records each call. */
function fakeRevocations(recheckMs: number) {
  const listeners = new Set<(id: string) => void>();
  const dead = new Set<string>();
  const calls: string[][] = [];
  let fail = false;
  const revocations: KeyRevocations = {
    recheckMs,
    onRevoked: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    deadKeys: async (ids) => {
      calls.push([...ids]);
      if (fail) throw new Error('database unavailable');
      return ids.filter((id) => dead.has(id));
    },
  };
  return {
    revocations,
    dead,
    calls,
    listeners,
    failNext: (v: boolean) => (fail = v),
    revokeHere: (id: string) => listeners.forEach((l) => l(id)),
  };
}

describe('KeySessions', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  it('ends every connection of a key revoked on this instance at once, and no other', () => {
    const fake = fakeRevocations(0);
    const index = new KeySessions(fake.revocations, logger);
    const a1 = new FakeHolder(viaKey('key_a'), index);
    const a2 = new FakeHolder(viaKey('key_a'), index);
    const b = new FakeHolder(viaKey('key_b'), index);
    const jwt = new FakeHolder(viaJwt, index);
    for (const h of [a1, a2, b, jwt]) index.add(h);
    expect(index.keyCount).toBe(2);

    fake.revokeHere('key_a');
    expect([a1.revokedTimes, a2.revokedTimes, b.revokedTimes, jwt.revokedTimes]).toEqual([1, 1, 0, 0]);
    expect(index.keyCount).toBe(1);
    fake.revokeHere('key_a');
    expect(a1.revokedTimes).toBe(1);
  });

  it('forgets a connection that closed or moved to another credential', () => {
    const fake = fakeRevocations(0);
    const index = new KeySessions(fake.revocations, logger);
    const closed = new FakeHolder(viaKey('key_a'));
    const moved = new FakeHolder(viaKey('key_a'));
    index.add(closed);
    index.add(moved);
    index.remove(closed);
    index.remove(moved);
    moved.principal = viaKey('key_b');
    index.add(moved);

    fake.revokeHere('key_a');
    expect([closed.revokedTimes, moved.revokedTimes]).toEqual([0, 0]);
    fake.revokeHere('key_b');
    expect(moved.revokedTimes).toBe(1);
  });

  it('re-checks every held key in one look-up per interval and ends those revoked elsewhere', async () => {
    const fake = fakeRevocations(1000);
    const index = new KeySessions(fake.revocations, logger);
    const a = new FakeHolder(viaKey('key_a'), index);
    const b = new FakeHolder(viaKey('key_b'), index);
    index.add(a);
    index.add(b);

    fake.dead.add('key_b');
    await vi.advanceTimersByTimeAsync(999);
    expect(fake.calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(fake.calls).toEqual([['key_a', 'key_b']]);
    expect([a.revokedTimes, b.revokedTimes]).toEqual([0, 1]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(fake.calls[1]).toEqual(['key_a']);
    index.stop();
  });

  it('keeps connections open when the look-up fails, and asks nothing while no key is held', async () => {
    const fake = fakeRevocations(1000);
    const index = new KeySessions(fake.revocations, logger);
    await vi.advanceTimersByTimeAsync(3000);
    expect(fake.calls).toEqual([]);

    const a = new FakeHolder(viaKey('key_a'), index);
    index.add(a);
    fake.dead.add('key_a');
    fake.failNext(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(a.revokedTimes).toBe(0);
    fake.failNext(false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(a.revokedTimes).toBe(1);
    index.stop();
  });

  it('with an interval of 0 never re-checks, and stop() stops listening', async () => {
    const fake = fakeRevocations(0);
    const index = new KeySessions(fake.revocations, logger);
    const a = new FakeHolder(viaKey('key_a'), index);
    index.add(a);
    fake.dead.add('key_a');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fake.calls).toEqual([]);
    index.stop();
    expect(fake.listeners.size).toBe(0);
  });
});
