/**
 * A failure a caller can act on: `code` is stable (clients switch on it), `message` says what to do.
 * The gRPC layer maps codes to gRPC statuses.
 */
export type WebhookErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_URL'
  | 'URL_FORBIDDEN'
  | 'INVALID_SECRET'
  | 'INVALID_EVENT_TYPE'
  | 'NOT_FOUND'
  | 'UNAUTHENTICATED'
  | 'PAYLOAD_TOO_LARGE'
  | 'ENDPOINT_DISABLED'
  | 'DELIVERY_IN_FLIGHT';

export class WebhookError extends Error {
  constructor(readonly code: WebhookErrorCode, message: string) {
    super(message);
    this.name = 'WebhookError';
  }
}
