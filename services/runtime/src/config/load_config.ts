import { z } from 'zod';
import { ConfigError } from './config_error';
import { shownRawValue } from './shown_value';

export type EnvSource = Record<string, string | undefined>;

/**
 * Validates the environment against `schema` once, at start-up. Every problem is reported in one
 * error so an operator fixes the whole environment in one go instead of one variable per restart.
 */
export function loadConfig<S extends z.ZodObject>(schema: S, env: EnvSource = process.env): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.map(String).join('.') || '(environment)';
    const raw = issue.path.length > 0 ? env[String(issue.path[0])] : undefined;
    // The value as it may be shown: a too-short JWT_SECRET or a DATABASE_URL refused for its scheme
    // was printed whole, password included.
    const got = raw === undefined ? 'nothing (unset)' : shownRawValue(String(issue.path[0]), raw);
    return `${name}: ${issue.message}, got ${got}`;
  });
  throw new ConfigError(problems);
}
