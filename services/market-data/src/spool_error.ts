/** Thrown when the outage spool cannot be opened or written; the message names the file and the fix. */
export class SpoolError extends Error {
  constructor(
    readonly code: 'SPOOL_LOCKED' | 'SPOOL_IO',
    message: string,
  ) {
    super(message);
    this.name = 'SpoolError';
  }
}
