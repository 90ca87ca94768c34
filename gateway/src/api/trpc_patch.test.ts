import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createLogger } from '@marketpulse/runtime';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createEventPublisher } from '../publish';
import { everyIdNew } from '../testing/published_ids.testkit';
import type { ApiContext } from './context';
import { appRouter } from './router';

// patches/@trpc__server@11.25.2.patch (gateway/README.md "tRPC patch"): tRPC copies every
// middleware's options with its bundler's `_objectSpread2` helper. The helper's
// Object.defineProperties of every second argument cost about 17 of a procedure call's 23 µs of its
// own (bench/fanout/route_micro.mts). The patch copies with Object.assign.

const require = createRequire(__filename);
const dist = dirname(require.resolve('@trpc/server'));
const chunk = readdirSync(dist).find((f) => /^getErrorShape-.*\.cjs$/.test(f));
const { _objectSpread2: patched } = require(join(dist, chunk!)) as { _objectSpread2: (e: object, ...args: unknown[]) => object };

/** tRPC 11.25.2's helper as it ships (dist/getErrorShape-*.cjs, unpatched): the oracle. */
function original(e: Record<PropertyKey, unknown>, ...args: unknown[]): object {
  const ownKeys = (o: object, enumerableOnly: boolean) => {
    const keys: PropertyKey[] = Object.keys(o);
    const symbols = Object.getOwnPropertySymbols(o);
    keys.push(...(enumerableOnly ? symbols.filter((s) => Object.getOwnPropertyDescriptor(o, s)!.enumerable) : symbols));
    return keys;
  };
  const define = (key: PropertyKey, value: unknown) => {
    if (key in e) Object.defineProperty(e, key, { value, enumerable: true, configurable: true, writable: true });
    else e[key] = value;
  };
  args.forEach((arg, i) => {
    const t = (arg ?? {}) as Record<PropertyKey, unknown>;
    // arguments[r] with r = i + 1: odd r copies enumerable values, even r copies descriptors.
    if ((i + 1) % 2) ownKeys(Object(t), true).forEach((key) => define(key, t[key]));
    else Object.defineProperties(e, Object.getOwnPropertyDescriptors(t));
  });
  return e;
}

/** What the copy is: its prototype, and each own property's descriptor in order. */
const shape = (o: object) => ({
  proto: Object.getPrototypeOf(o) as unknown,
  props: Reflect.ownKeys(o).map((k) => [k, Object.getOwnPropertyDescriptor(o, k)]),
});

const SYMBOL = Symbol('s');
/** The objects tRPC spreads: object literals, middleware options, contexts and JSON.parse's inputs. */
const plainObject = fc.oneof(
  fc.dictionary(
    fc.constantFrom('ctx', 'input', 'meta', 'next', 'path', 'type', 'constructor', 'toString', '0', '__proto__'),
    fc.jsonValue(),
  ),
  fc.jsonValue().map((v) => JSON.parse(JSON.stringify({ __proto__: v, input: v })) as unknown),
  fc.jsonValue().map((v) => ({ [SYMBOL]: v, data: v })),
  fc.constantFrom(null, undefined),
);

describe('tRPC spread helper patch', () => {
  afterEach(() => vi.restoreAllMocks());

  it('is applied: a procedure call copies its middleware options without Object.defineProperties', async () => {
    const logger = createLogger('trpc-patch-test', {}, { level: 'silent' });
    const publisher = createEventPublisher({ publish: async () => undefined } as never, logger, everyIdNew());
    const principal = { userId: 'engine', scopes: ['publish'], channels: ['*'], method: 'jwt' };
    const caller = appRouter.createCaller({ principal, publisher, logger } as unknown as ApiContext);
    const defineProperties = vi.spyOn(Object, 'defineProperties');
    const published = await caller.publish.one({ id: 'p1', type: 'equity_update', data: { total_equity: '1', current_equity: '2' } });
    // Vitest loads tRPC's ES module build; the gateway's dist requires the CommonJS one.
    patched({}, {}, { meta: {}, input: 1 });
    // Counted before any expect: vitest's own assertions call it.
    const calls = defineProperties.mock.calls.length;
    defineProperties.mockRestore();
    expect(published.id).toBe('engine/p1');
    // Unpatched, every middleware level (scope, input, output, resolver) called it twice.
    expect(calls).toBe(0);
  });

  it('makes the copies the shipped helper makes, for the objects tRPC passes it (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(plainObject, { minLength: 1, maxLength: 4 }), (args) => {
        expect(shape(patched({}, ...args))).toEqual(shape(original({}, ...args)));
      }),
      { seed: 19, numRuns: 500 },
    );
  });

  it('keeps a "__proto__" key from JSON as a property: the copy keeps its prototype', () => {
    const input = JSON.parse('{"__proto__": {"admin": true}, "id": "x"}') as object;
    const copy = patched({}, input) as Record<string, unknown>;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(copy.admin).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(copy, '__proto__')?.value).toEqual({ admin: true });
  });
});
