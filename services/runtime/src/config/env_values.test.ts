import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { envBoolean, envNonNegativeInt, envPort, envPositiveInt } from './env_values';
import { loadConfig } from './load_config';

const schema = z.object({
  FLAG: envBoolean.default(false),
  PORT: envPort().default(8000),
  COUNT: envPositiveInt('a positive integer').default(1),
  KEEP: envNonNegativeInt('a count (0 or more)').default(0),
});

/** The one problem loadConfig reports for `env`. */
function problem(env: Record<string, string>): string {
  try {
    loadConfig(schema, env);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a configuration error');
}

describe('envBoolean', () => {
  it('reads true/false, 1/0 and yes/no in any case, around spaces', () => {
    for (const v of ['true', '1', 'yes', 'TRUE', 'Yes', ' true ']) expect(loadConfig(schema, { FLAG: v }).FLAG, v).toBe(true);
    for (const v of ['false', '0', 'no', 'False', 'NO']) expect(loadConfig(schema, { FLAG: v }).FLAG, v).toBe(false);
    expect(loadConfig(schema, {}).FLAG).toBe(false);
  });

  it('refuses any other spelling, naming the accepted ones, instead of reading it as false', () => {
    for (const v of ['on', 'off', 'maybe', '', 'y', '2']) {
      expect(problem({ FLAG: v })).toBe(`invalid configuration: FLAG: expected true or false (or 1/0, yes/no), got '${v}'`);
    }
  });
});

describe('envPort and the counts', () => {
  it('reads whole numbers in range and refuses the rest with what was expected', () => {
    expect(loadConfig(schema, { PORT: '0', COUNT: '3', KEEP: '0' })).toMatchObject({ PORT: 0, COUNT: 3, KEEP: 0 });
    expect(problem({ PORT: '70000' })).toContain("PORT: expected a TCP port, got '70000'");
    expect(problem({ PORT: 'http' })).toContain("PORT: expected a TCP port, got 'http'");
    expect(problem({ PORT: '80.5' })).toContain("PORT: expected a TCP port, got '80.5'");
    expect(problem({ COUNT: '0' })).toContain("COUNT: expected a positive integer, got '0'");
    expect(problem({ KEEP: '-1' })).toContain("KEEP: expected a count (0 or more), got '-1'");
  });
});
