import { HIDDEN_QUERY_VALUE, isCredentialName } from '@marketpulse/runtime';
import { webhookError } from '../errors';

interface SplitUrl {
  /** Everything before the query: scheme, host, path. */
  base: string;
  params: { name: string; value: string | undefined }[];
  /** `#…`, kept as sent. */
  fragment: string;
}

function split(url: string): SplitUrl {
  const hash = url.indexOf('#');
  const fragment = hash < 0 ? '' : url.slice(hash);
  const rest = hash < 0 ? url : url.slice(0, hash);
  const question = rest.indexOf('?');
  if (question < 0) return { base: rest, params: [], fragment };
  const query = rest.slice(question + 1);
  const params = query.split('&').map((pair) => {
    const eq = pair.indexOf('=');
    return eq < 0 ? { name: pair, value: undefined } : { name: pair.slice(0, eq), value: pair.slice(eq + 1) };
  });
  return { base: rest.slice(0, question), params, fragment };
}

function join({ base, params, fragment }: SplitUrl): string {
  const query = params.map(({ name, value }) => (value === undefined ? name : `${name}=${value}`)).join('&');
  return `${base}${params.length ? `?${query}` : ''}${fragment}`;
}

function decodedName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}

const hides = (p: { name: string; value: string | undefined }): boolean =>
  p.value !== undefined && p.value !== '' && isCredentialName(decodedName(p.name));

/**
 * The URL as any answer shows it: a credential the receiver asked for in the query (`?token=…`)
 * was returned whole to every credential that could read the owner's webhooks, a read-only API key
 * included, as the custom headers were (hidden_headers.ts). Everything else stays as stored.
 */
export function shownUrl(url: string): string {
  const parts = split(url);
  if (!parts.params.some(hides)) return url;
  return join({ ...parts, params: parts.params.map((p) => (hides(p) ? { ...p, value: HIDDEN_QUERY_VALUE } : p)) });
}

/**
 * An update's URL with each hidden query value sent back replaced by the stored value of the same
 * parameter (by name and order), so a client may write back the URL it read. Only for the same
 * endpoint address: a placeholder on another scheme, host or path would send the receiver's
 * credential somewhere it was never given to.
 */
export function keepHiddenQueryValues(incoming: string, stored: string): string {
  const wanted = split(incoming);
  const placeholders = wanted.params.filter((p) => p.value === HIDDEN_QUERY_VALUE);
  if (!placeholders.length) return incoming;
  const kept = split(stored);
  if (kept.base !== wanted.base) {
    throw webhookError(
      'INVALID_URL',
      `the URL's ${quoteName(placeholders[0]!.name)} has the placeholder of a hidden value, but the URL is not the endpoint's address any more: send the value`,
      'endpoint.url',
    );
  }
  // The nth parameter of a name stands for the stored nth of that name (a URL read shows every one).
  const seen = new Map<string, number>();
  const params = wanted.params.map((p) => {
    const nth = seen.get(p.name) ?? 0;
    seen.set(p.name, nth + 1);
    if (p.value !== HIDDEN_QUERY_VALUE) return p;
    const original = kept.params.filter((k) => k.name === p.name)[nth];
    if (!original || !hides(original)) {
      throw webhookError(
        'INVALID_URL',
        `the URL's ${quoteName(p.name)} has the placeholder of a hidden value, but the endpoint's URL has no such hidden value: send the value`,
        'endpoint.url',
      );
    }
    return original;
  });
  return join({ ...wanted, params });
}

const quoteName = (name: string): string => JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name);
