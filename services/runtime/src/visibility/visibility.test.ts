import { describe, expect, it } from 'vitest';
import { ownerAllows } from './visibility';

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
