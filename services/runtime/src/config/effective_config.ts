import { ConfigError } from './config_error';
import { shownValue } from './shown_value';

/** The flag every entry point (a service's main, the gateway's, the one-process suite) accepts. */
export const CHECK_CONFIG_FLAG = '--check-config';

/**
 * The effective configuration as it may be logged: every variable with its parsed value (defaults
 * included), secrets replaced by `[redacted]` (set) or left undefined (unset), credentials in URLs
 * and in lists of settings removed (shownValue).
 */
export function redactConfig(config: Record<string, unknown>): Record<string, unknown> {
  // A part's configuration nested in the suite's is redacted again: shownValue changes nothing twice.
  return Object.fromEntries(Object.entries(config).map(([name, value]) => [name, shownValue(name, value)]));
}

/**
 * Runs every loader and reports all their problems in one ConfigError (each once: several
 * processes in one share variables such as LOG_LEVEL), so nothing starts on a half-valid
 * environment and an operator fixes everything in one go. Returns every config when all are valid.
 */
export function loadAllConfigs<T extends Record<string, () => unknown>>(loaders: T): { [K in keyof T]: ReturnType<T[K]> } {
  const problems: string[] = [];
  const configs: Record<string, unknown> = {};
  for (const [name, load] of Object.entries(loaders)) {
    try {
      configs[name] = load();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      for (const p of err.problems) if (!problems.includes(p)) problems.push(p);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return configs as { [K in keyof T]: ReturnType<T[K]> };
}

/**
 * What an entry point does with --check-config once its configuration is loaded (or refused): one
 * JSON line on stdout (valid, with the effective configuration redacted) or stderr (the problems),
 * and exit 0 or 2. Nothing is started.
 */
export function reportConfigCheck(service: string, outcome: { config: Record<string, unknown> } | { error: ConfigError }): never {
  const time = new Date().toISOString();
  if ('error' in outcome) {
    process.stderr.write(
      `${JSON.stringify({ time, level: 'fatal', severity_text: 'FATAL', 'service.name': service, code: outcome.error.code, problems: outcome.error.problems, msg: outcome.error.message })}\n`,
    );
    process.exit(2);
  }
  process.stdout.write(
    `${JSON.stringify({ time, level: 'info', severity_text: 'INFO', 'service.name': service, msg: 'configuration valid', config: redactConfig(outcome.config) })}\n`,
  );
  process.exit(0);
}
