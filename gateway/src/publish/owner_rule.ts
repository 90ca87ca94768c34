import { status as GrpcStatus } from '@grpc/grpc-js';
import { EVENT_CATALOG, textViolation } from '@marketpulse/runtime';
import { ApiError, validationError } from '../errors';
import type { PublishEventInput } from '../events/publish_contracts';
import { PUBLISH_LIMITS } from './publishable_text';

/** The scope that lets a publisher name another user as an event's owner (auth/principal.ts). */
export const ANY_OWNER_SCOPE = 'publish:any-owner';

/**
 * Whether a published event may carry its `owner`, checked in this order: a user id the bus and
 * every consumer can hold (1–128 characters, no control characters, no lone surrogates: 400); a
 * type the catalog keeps system-only cannot be owned (its readers would silently lose it: 400);
 * the caller itself may always own it, another user only with publish:any-owner (403
 * OWNER_FORBIDDEN), so a narrow credential can never put an event into someone else's stream nor
 * hide one from everybody else. `field` is the owner's name in the request (`events.2.owner`).
 */
export function ownerRefusal(input: PublishEventInput, callerIdentity: string, anyOwner: boolean, field: string): ApiError | undefined {
  const owner = input.owner;
  if (owner === undefined) return undefined;
  const invalid = textViolation(owner, { max: PUBLISH_LIMITS.ownerMax, required: true });
  if (invalid !== undefined) return validationError([{ field, message: invalid }]);
  if (EVENT_CATALOG[input.type].visibility === 'system') {
    return validationError([
      { field, message: `a ${input.type} event is a system event every reader may see and cannot have an owner; drop owner` },
    ]);
  }
  if (owner === callerIdentity || anyOwner) return undefined;
  return new ApiError(
    GrpcStatus.PERMISSION_DENIED,
    'OWNER_FORBIDDEN',
    `${field} names another user; this credential may publish events owned by its own user only. Drop ${field}, set it to your own user id, or use a credential with the '${ANY_OWNER_SCOPE}' scope`,
    { required_scope: ANY_OWNER_SCOPE, fields: [{ field, message: 'names another user' }] },
  );
}
