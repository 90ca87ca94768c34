/** A credential the gateway rejects; `message` says why in words a client developer can act on. */
export class AuthError extends Error {
  readonly code = 'UNAUTHENTICATED';
}
