import * as grpc from '@grpc/grpc-js';
import { errorDomain } from '@marketpulse/runtime';

/**
 * webhook-delivery's one table of reasons (domain `marketpulse.webhooks`): each reason is stable
 * (clients switch on it) and always travels with the status named here.
 */
export const webhookDeliveryErrors = errorDomain('marketpulse.webhooks', {
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  INVALID_URL: grpc.status.INVALID_ARGUMENT,
  URL_FORBIDDEN: grpc.status.INVALID_ARGUMENT,
  INVALID_SECRET: grpc.status.INVALID_ARGUMENT,
  INVALID_EVENT_TYPE: grpc.status.INVALID_ARGUMENT,
  NOT_FOUND: grpc.status.NOT_FOUND,
  UNAUTHENTICATED: grpc.status.UNAUTHENTICATED,
  PAYLOAD_TOO_LARGE: grpc.status.FAILED_PRECONDITION,
  ENDPOINT_DISABLED: grpc.status.FAILED_PRECONDITION,
  DELIVERY_IN_FLIGHT: grpc.status.FAILED_PRECONDITION,
  /** The endpoint has MAX_RETIRING_SECRETS rotated-out secrets still signing; `oldest_expires_at` says when room frees. */
  TOO_MANY_SECRETS: grpc.status.FAILED_PRECONDITION,
  /** The owner has WEBHOOK_MAX_ENDPOINTS_PER_USER endpoints; `max_endpoints` says how many. */
  TOO_MANY_ENDPOINTS: grpc.status.RESOURCE_EXHAUSTED,
});

export type WebhookDeliveryReason = keyof typeof webhookDeliveryErrors.reasons;

/** A webhook error; `field` (a dotted request path) becomes its BadRequest violation. */
export const webhookError = (reason: WebhookDeliveryReason, message: string, field?: string) =>
  webhookDeliveryErrors(reason, message, field ? { violations: [{ field, description: message }] } : {});

export const tooManyEndpoints = (max: number) =>
  webhookDeliveryErrors(
    'TOO_MANY_ENDPOINTS',
    `you have ${max} webhook endpoints, the most one user may have; delete or change one instead of adding another`,
    { metadata: { max_endpoints: String(max) } },
  );

export const tooManySecrets = (endpointId: string, max: number, oldestEndsAt: Date) =>
  webhookDeliveryErrors(
    'TOO_MANY_SECRETS',
    `endpoint ${endpointId} has ${max} rotated-out secrets still signing, the most it may have; the oldest stops signing at ` +
      `${oldestEndsAt.toISOString()}: rotate again after that`,
    { metadata: { max_secrets: String(max), oldest_expires_at: oldestEndsAt.toISOString() } },
  );
