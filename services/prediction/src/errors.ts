/** gRPC status a domain error maps to (names of @grpc/grpc-js `status`). */
export type ErrorStatus = 'NOT_FOUND' | 'INVALID_ARGUMENT' | 'OUT_OF_RANGE' | 'FAILED_PRECONDITION' | 'UNAVAILABLE';

/** An error a caller caused and can fix; carries a stable code, the status it maps to and the facts behind it. */
export class PredictionError extends Error {
  constructor(
    readonly code: string,
    readonly status: ErrorStatus,
    message: string,
    readonly fields: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'PredictionError';
  }
}

export const unknownSymbol = (symbol: string) =>
  new PredictionError('UNKNOWN_SYMBOL', 'NOT_FOUND', `no ticks or models for symbol '${symbol}': it has never been seen on market_data_update`, { symbol });

export const missingField = (field: string) =>
  new PredictionError('MISSING_FIELD', 'INVALID_ARGUMENT', `${field} is required`, { field });
