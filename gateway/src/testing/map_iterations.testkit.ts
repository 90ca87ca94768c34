/**
 * How many times `fn` started iterating any Map (keys, values, entries, forEach, for … of). A bounded
 * cache that forgets its oldest entry by iterating its Map walks past every entry deleted since V8
 * last rebuilt the table; runtime's OrderedMap never iterates one.
 */
export function mapIterationsDuring(fn: () => void): number {
  const proto = Map.prototype as unknown as Record<PropertyKey, (...args: unknown[]) => unknown>;
  const names: PropertyKey[] = ['keys', 'entries', 'values', 'forEach', Symbol.iterator];
  const saved = names.map((name) => proto[name]!);
  let iterations = 0;
  names.forEach((name, i) => {
    proto[name] = function (this: unknown, ...args: unknown[]) {
      iterations++;
      return saved[i]!.apply(this, args);
    };
  });
  try {
    fn();
  } finally {
    names.forEach((name, i) => (proto[name] = saved[i]!));
  }
  return iterations;
}
