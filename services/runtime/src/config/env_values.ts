import { z } from 'zod';

// The one way every process reads a yes/no, a port or a count from its environment, so a value
// one service accepts is never refused (or read differently) by another.

const TRUE = ['true', '1', 'yes'] as const;
const FALSE = ['false', '0', 'no'] as const;

/**
 * A yes/no variable: `true`/`false`, `1`/`0` or `yes`/`no`, in any case. Anything else (`on`,
 * `maybe`, an empty value) is refused at start-up, naming the accepted spellings, rather than read
 * as false.
 */
export const envBoolean = z
  .string({ error: 'expected true or false (or 1/0, yes/no)' })
  .trim()
  .toLowerCase()
  .pipe(z.enum([...TRUE, ...FALSE], { error: 'expected true or false (or 1/0, yes/no)' }))
  .transform((v) => (TRUE as readonly string[]).includes(v));

/** A whole number; `what` completes "expected …" in the error (`a number of milliseconds`). */
export function envInt(what: string) {
  return z.coerce.number({ error: `expected ${what}` }).int({ error: `expected ${what}` });
}

/** A whole number from 0: a count or a period where 0 means none. */
export function envNonNegativeInt(what: string) {
  return envInt(what).min(0, { error: `expected ${what}` });
}

/** A whole number above 0: a count, a size, an interval. */
export function envPositiveInt(what: string) {
  return envInt(what).positive({ error: `expected ${what}` });
}

/** A TCP port, 0..65535 (0: the server picks a free one, or a feature is off, as the variable says). */
export function envPort() {
  return envInt('a TCP port').min(0, { error: 'expected a TCP port' }).max(65535, { error: 'expected a TCP port' });
}

/** A comma-separated list, each entry trimmed; unset or empty is no entries (documented as "(unset)"). */
export function envList() {
  return z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    );
}
