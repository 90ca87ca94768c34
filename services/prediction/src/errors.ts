import * as grpc from '@grpc/grpc-js';
import { errorDomain, type FieldViolation } from '@marketpulse/runtime';

/** prediction's one table of reasons (domain `marketpulse.prediction`); clients switch on these. */
export const predictionErrors = errorDomain('marketpulse.prediction', {
  MISSING_FIELD: grpc.status.INVALID_ARGUMENT,
  INVALID_FIELD: grpc.status.INVALID_ARGUMENT,
  UNKNOWN_SYMBOL: grpc.status.NOT_FOUND,
  NO_TICKS_YET: grpc.status.FAILED_PRECONDITION,
  HORIZON_OUT_OF_RANGE: grpc.status.OUT_OF_RANGE,
  UNSUPPORTED_ALGORITHM: grpc.status.INVALID_ARGUMENT,
  UNKNOWN_PARAMETER: grpc.status.INVALID_ARGUMENT,
  INVALID_PARAMETER: grpc.status.INVALID_ARGUMENT,
  NOT_ENOUGH_DATA: grpc.status.FAILED_PRECONDITION,
  EMPTY_RANGE: grpc.status.INVALID_ARGUMENT,
  INVALID_LIMIT: grpc.status.INVALID_ARGUMENT,
  INVALID_VERSION: grpc.status.INVALID_ARGUMENT,
  VERSION_SYMBOL_MISMATCH: grpc.status.INVALID_ARGUMENT,
  UNKNOWN_MODEL_VERSION: grpc.status.NOT_FOUND,
  MODEL_NOT_DEPLOYABLE: grpc.status.FAILED_PRECONDITION,
  NO_EARLIER_DEPLOYMENT: grpc.status.FAILED_PRECONDITION,
  UNKNOWN_BACKTEST: grpc.status.NOT_FOUND,
  TRAINING_BUSY: grpc.status.RESOURCE_EXHAUSTED,
  TRAINING_ABANDONED: grpc.status.CANCELLED,
});

export type PredictionReason = keyof typeof predictionErrors.reasons;

/** A prediction error with the facts behind it (ErrorInfo.metadata) and, when one field is at fault, its violation. */
export function predictionError(
  reason: PredictionReason,
  message: string,
  facts: Record<string, string | number> = {},
  violations: FieldViolation[] = [],
) {
  return predictionErrors(reason, message, {
    metadata: Object.fromEntries(Object.entries(facts).map(([k, v]) => [k, String(v)])),
    violations,
  });
}

export const unknownSymbol = (symbol: string) =>
  predictionError('UNKNOWN_SYMBOL', `no ticks or models for symbol '${symbol}': it has never been seen on market_data_update`, { symbol });

export const missingField = (field: string) =>
  predictionError('MISSING_FIELD', `${field} is required`, { field }, [{ field, description: 'is required' }]);

/** A training whose caller went away (cancelled, past its deadline) before it finished; nobody hears this but the log. */
export const trainingAbandoned = (symbol: string) =>
  predictionError('TRAINING_ABANDONED', `the training of '${symbol}' was dropped: its caller went away before it finished`, { symbol });
