import { webhookError } from '../errors';

/**
 * What an endpoint's answers show instead of a credential header's value. It cannot be a real
 * value (header values are Latin-1, `•` is not), so an update that sends it back means "keep".
 */
export const HIDDEN_HEADER_VALUE = '••••••••';

/** Header names that carry a credential for the receiver (Svix's "sensitive" headers, and the usual names). */
const CREDENTIAL_HEADER = /^(authorization|proxy-authorization|cookie)$|key|token|secret|auth|pass|sig|session|credential/i;

export const isCredentialHeader = (name: string): boolean => CREDENTIAL_HEADER.test(name);

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
