/** Errors with a stable code; the gRPC layer maps each code to its status. */
export type AlertingErrorCode = 'INVALID_ARGUMENT' | 'NOT_FOUND';

export class AlertingError extends Error {
  constructor(
    readonly code: AlertingErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AlertingError';
  }
}

export const invalid = (message: string) => new AlertingError('INVALID_ARGUMENT', message);
export const notFound = (message: string) => new AlertingError('NOT_FOUND', message);
