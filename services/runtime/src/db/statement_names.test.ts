import { describe, expect, it } from 'vitest';
import { isStalePlan, StatementNames } from './statement_names';

describe('StatementNames', () => {
  it('names a text from its second use on, the same name each time, a different one per text', () => {
    const names = new StatementNames();
    expect(names.nameFor('SELECT $1')).toBeUndefined();
    const name = names.nameFor('SELECT $1');
    expect(name).toMatch(/^mp_[0-9a-f]{32}$/);
    expect(names.nameFor('SELECT $1')).toBe(name);
    names.nameFor('SELECT $2');
    expect(names.nameFor('SELECT $2')).not.toBe(name);
  });

  it('names at most maxNamed texts, a retired one included, and sends a retired text unnamed', () => {
    const names = new StatementNames({ maxNamed: 3 });
    const texts = Array.from({ length: 10 }, (_, i) => `SELECT ${i}`);
    const named = texts.filter((t) => names.nameFor(t) === undefined && names.nameFor(t) !== undefined);
    expect(named).toEqual(texts.slice(0, 3));
    names.retire(texts[0]);
    expect(names.nameFor(texts[0])).toBeUndefined();
    expect([names.nameFor('SELECT new'), names.nameFor('SELECT new')]).toEqual([undefined, undefined]);
  });

  it('forgets the counts when maxCounted texts are counted, so a stream of one-off texts stays bounded', () => {
    const names = new StatementNames({ maxCounted: 2 });
    names.nameFor('a');
    names.nameFor('b');
    names.nameFor('c'); // the counts start over: 'a' is at its first use again
    expect(names.nameFor('a')).toBeUndefined();
    expect(names.nameFor('a')).toBeDefined();
  });

  it('recognises only the stale-plan error', () => {
    expect(isStalePlan({ code: '0A000', message: 'cached plan must not change result type' })).toBe(true);
    expect(isStalePlan({ code: '0A000', message: 'something else not supported' })).toBe(false);
    expect(isStalePlan(new Error('cached plan must not change result type'))).toBe(false);
    expect(isStalePlan(null)).toBe(false);
  });
});
