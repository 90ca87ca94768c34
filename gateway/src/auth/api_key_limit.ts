import { status as GrpcStatus } from '@grpc/grpc-js';
import { AppError } from '@marketpulse/runtime';

/**
 * API_KEYS_MAX_PER_USER's default. A key per deployment, CI job or device leaves a person or a
 * team far below 100; above it, keys are being minted by a loop, and each live one is a credential
 * that outlives the token that made it. The same figure as the suite's other per-user caps
 * (ALERT_MAX_RULES_PER_USER, TRPC_MAX_SUBSCRIPTIONS_PER_USER).
 */
export const DEFAULT_API_KEYS_MAX_PER_USER = 100;

/** One more live key than API_KEYS_MAX_PER_USER allows this user (429 at the API). */
export const tooManyApiKeys = (max: number) =>
  new AppError(
    GrpcStatus.RESOURCE_EXHAUSTED,
    'TOO_MANY_API_KEYS',
    `you have ${max} API keys that are neither revoked nor expired, the most one user may have (API_KEYS_MAX_PER_USER); revoke one you no longer use (DELETE /api/v1/api-keys/{id}) before creating another`,
    { metadata: { max_api_keys: String(max) } },
  );
