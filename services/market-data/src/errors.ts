import * as grpc from '@grpc/grpc-js';
import { errorDomain } from '@marketpulse/runtime';

/** market-data's one table of reasons (domain `marketpulse.market`); clients switch on these. */
export const marketDataErrors = errorDomain('marketpulse.market', {
  MARKET_SYMBOL_REQUIRED: grpc.status.INVALID_ARGUMENT,
  MARKET_INVALID_SYMBOL: grpc.status.INVALID_ARGUMENT,
  MARKET_SYMBOL_NOT_FOUND: grpc.status.NOT_FOUND,
  MARKET_QUOTE_NOT_FOUND: grpc.status.NOT_FOUND,
  MARKET_PROVIDER_NOT_FOUND: grpc.status.NOT_FOUND,
  MARKET_INVALID_INTERVAL: grpc.status.INVALID_ARGUMENT,
  MARKET_INVALID_TIME: grpc.status.INVALID_ARGUMENT,
  MARKET_INVERTED_RANGE: grpc.status.INVALID_ARGUMENT,
  MARKET_EMPTY_RANGE: grpc.status.INVALID_ARGUMENT,
  MARKET_INVALID_LIMIT: grpc.status.INVALID_ARGUMENT,
  MARKET_INVALID_ISSUE_KIND: grpc.status.INVALID_ARGUMENT,
  MARKET_INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
});

export type MarketDataReason = keyof typeof marketDataErrors.reasons;
