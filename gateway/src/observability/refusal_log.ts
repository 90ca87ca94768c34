import type { Logger } from '@marketpulse/runtime';
import type { Principal } from '../auth';

export interface Refusal {
  /** Where the caller came in: http (REST/tRPC), grpc (publish API), websocket. */
  transport: 'http' | 'grpc' | 'websocket';
  /** unauthenticated (no or bad credential) or forbidden (a scope or channel it lacks). */
  kind: 'unauthenticated' | 'forbidden';
  /** Why, in words an operator can act on; never the credential itself. */
  reason: string;
  principal?: Principal | null;
  /** The scope or channel that was missing, for forbidden. */
  needed?: string;
}

/** One `auth.refused` warn line per refused caller, so a spike of 401/403s can be explained from the logs. */
export function logRefusal(logger: Logger, refusal: Refusal): void {
  const { principal, ...rest } = refusal;
  logger.warn(
    {
      event: 'auth.refused',
      ...rest,
      ...(principal ? { 'enduser.id': principal.userId, auth_method: principal.method, key_id: principal.keyId } : {}),
    },
    'request refused',
  );
}
