/**
 * Parts of a name a credential travels under, whatever carries it: a query parameter (`?token=`,
 * `?apikey=`, `?password=`, `?sslkey=`, `?sig=`), a header (`Authorization`, `X-Api-Key`), a field.
 * The configuration output, the spans and the webhook answers each hide what such a name holds.
 */
const CREDENTIAL_NAME = /pass|key|token|secret|auth|sig|session|credential/i;

export const isCredentialName = (name: string): boolean => CREDENTIAL_NAME.test(name);

/**
 * What an answer shows in place of a webhook header's credential (webhooks.proto, Endpoint.headers),
 * and what an update sends back to keep it. Outside Latin-1 on purpose: no header value can be it.
 */
export const HIDDEN_HEADER_VALUE = '••••••••';

/**
 * What an answer shows in place of the value of a credential-named query parameter of a webhook's
 * URL (webhooks.proto, Endpoint.url), and what an update sends back to keep it. Plain ASCII that a
 * URL carries unencoded, so the URL read is the URL written back.
 */
export const HIDDEN_QUERY_VALUE = '********';
