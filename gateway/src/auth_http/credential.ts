import type { IncomingHttpHeaders } from 'node:http';

/** The credential a request presents: `Authorization: Bearer <JWT or API key>` or `X-API-Key`. */
export function credentialOf(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m ? m[1] : auth;
  }
  const key = headers['x-api-key'];
  return Array.isArray(key) ? key[0] : key;
}
