import { HIDDEN_HEADER_VALUE, isCredentialName } from '@marketpulse/runtime';
import { webhookError } from '../errors';

/** Header names that carry a credential for the receiver (Svix's "sensitive" headers, and the usual names). */
const isCredentialHeader = (name: string): boolean => isCredentialName(name) || /^cookie$/i.test(name);

/**
 * The custom headers as any answer shows them. Their values were returned whole to every
 * credential that could read the owner's webhooks, a read-only API key included, so the receiver's
 * `Authorization` reached a dashboard's key; they are sent with every delivery and never shown.
 */
export function shownHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, isCredentialHeader(name) ? HIDDEN_HEADER_VALUE : value]));
}

/**
 * An update's headers with each hidden value sent back replaced by the stored one of the same
 * (case-insensitive) name, so a client may write back the headers it read.
 */
export function keepHiddenValues(
  incoming: Readonly<Record<string, string>>,
  stored: Readonly<Record<string, string>>,
): Record<string, string> {
  const storedByName = new Map(Object.entries(stored).map(([name, value]) => [name.toLowerCase(), value]));
  return Object.fromEntries(
    Object.entries(incoming).map(([name, value]) => {
      if (value !== HIDDEN_HEADER_VALUE) return [name, value];
      const kept = storedByName.get(name.toLowerCase());
      if (kept === undefined) {
        throw webhookError(
          'INVALID_ARGUMENT',
          `the header ${name} has the placeholder of a hidden value but the endpoint has no such header: send its value`,
          `endpoint.headers.${name}`,
        );
      }
      return [name, kept];
    }),
  );
}
