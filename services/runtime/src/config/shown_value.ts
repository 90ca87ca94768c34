/**
 * How a configuration value may be shown: in the start-up `config.effective` line, in
 * --check-config's output, and in the problems of a configuration refused at start-up. One place,
 * so a secret hidden in one is hidden in all.
 */
import { isCredentialName } from './credential_names';

/** Variable (and nested field) names whose value is a secret. */
const SECRET_NAME = /(SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL|PRIVATE|API_KEYS?$|_KEY$)/i;

const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;

export const REDACTED = '[redacted]';

/**
 * A URL without its password or the values of its credential parameters. One that looks like a URL
 * but does not parse is not shown: where its password is cannot be told.
 */
export function redactUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${REDACTED} (not a URL that parses)`;
  }
  if (url.password) url.password = 'redacted';
  for (const name of [...new Set(url.searchParams.keys())]) {
    if (isCredentialName(name)) url.searchParams.set(name, 'redacted');
  }
  return url.toString();
}

/**
 * `value` of the variable or field `name` as it may be shown: secrets by name redacted, URLs without
 * their credentials, and in lists and objects (MONITOR_PROVIDERS) the same field by field, with
 * every header value redacted (an `X-Api-Key` is a header).
 */
export function shownValue(name: string, value: unknown): unknown {
  if (typeof value === 'string') {
    if (value === '') return value;
    if (SECRET_NAME.test(name)) return REDACTED;
    if (URL_LIKE.test(value)) return redactUrl(value);
    return looksLikeJson(value) ? shownJson(name, value) : value;
  }
  if (Array.isArray(value)) return value.map((v) => shownValue(name, v));
  if (typeof value === 'object' && value !== null) {
    const headers = /^headers$/i.test(name);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, headers ? REDACTED : shownValue(k, v)]));
  }
  return value;
}

const looksLikeJson = (text: string) => /^\s*[[{]/.test(text);

/**
 * A setting holding JSON (MONITOR_PROVIDERS) shown field by field; text that starts as JSON but does
 * not parse is not shown (it may hold credentials no field name points at).
 */
function shownJson(name: string, text: string): string {
  try {
    return JSON.stringify(shownValue(name, JSON.parse(text) as unknown));
  } catch {
    return `${REDACTED} (${text.length} characters that are not valid JSON)`;
  }
}

/** A raw environment value as a refused configuration quotes it: as shownValue, at most 200 characters. */
export function shownRawValue(name: string, raw: string): string {
  if (SECRET_NAME.test(name)) return `a value of ${raw.length} characters (not shown: a secret)`;
  const shown = String(shownValue(name, raw));
  return `'${shown.length > 200 ? `${shown.slice(0, 200)}…` : shown}'`;
}
