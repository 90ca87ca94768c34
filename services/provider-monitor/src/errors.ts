/** Errors with a stable code; the gRPC layer maps each code to its status. */
export class MonitorError extends Error {
  constructor(
    readonly code: 'INVALID_ARGUMENT' | 'NOT_FOUND',
    message: string,
  ) {
    super(message);
    this.name = 'MonitorError';
  }
}
