import * as grpc from '@grpc/grpc-js';
import { market } from '@marketpulse/proto';
import { grpcError, type Logger } from '@marketpulse/runtime';
import { CANDLE_INTERVALS, isCandleInterval, type Candle } from './candles';
import type { MarketDataEngine } from './engine';
import { candleMessage, issueMessage } from './events';
import { providerCallStats } from './provider_status';
import type { QualityIssueKind } from './quality';
import type { QuoteState } from './quotes';
import type { MarketDataStore } from './store';
import { symbolInfo } from './symbols';

const DEFAULT_CANDLE_LIMIT = 500;
const MAX_CANDLE_LIMIT = 10_000;
const DEFAULT_ISSUE_LIMIT = 100;
const MAX_ISSUE_LIMIT = 1000;
const ISSUE_KINDS: QualityIssueKind[] = ['gap', 'outlier', 'stale_feed', 'crossed_quote', 'out_of_order', 'invalid_value'];

export interface MarketDataServiceDeps {
  engine: MarketDataEngine;
  store: MarketDataStore;
  /** Configured symbols; symbols seen in the feed or the database are added to them. */
  symbols: string[];
  logger: Logger;
}

class RequestError extends Error {
  constructor(readonly status: grpc.status, readonly appCode: string, message: string) {
    super(message);
  }
}

const invalid = (appCode: string, message: string) => new RequestError(grpc.status.INVALID_ARGUMENT, appCode, message);

function toServiceError(error: unknown, logger: Logger, method: string): grpc.ServiceError {
  if (error instanceof RequestError) return grpcError(error.status, error.message, { appCode: error.appCode });
  logger.error({ err: error instanceof Error ? error.message : String(error), method }, 'market-data request failed');
  return grpcError(grpc.status.UNAVAILABLE, `market-data could not answer ${method}: ${error instanceof Error ? error.message : String(error)}`, {
    appCode: 'MARKET_DATA_UNAVAILABLE',
  });
}

function unary<Req, Res>(logger: Logger, method: string, fn: (req: Req) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    fn(call.request).then(
      (res) => callback(null, res),
      (error) => callback(toServiceError(error, logger, method)),
    );
  };
}

function parseTime(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw invalid('MARKET_INVALID_TIME', `${field} "${value}" is not a valid timestamp`);
  return ms;
}

export function quoteMessage(q: QuoteState): market.Quote {
  const change = q.price - q.previousClose;
  return {
    symbol: q.symbol,
    price: q.price,
    bid: q.bid,
    ask: q.ask,
    volume: q.dayVolume,
    open: q.open,
    high: q.high,
    low: q.low,
    previous_close: q.previousClose,
    change,
    change_percent: q.previousClose !== 0 ? (change / q.previousClose) * 100 : 0,
    timestamp: new Date(q.timeMs).toISOString(),
    provider: q.provider,
  };
}

/** The MarketDataService gRPC implementation. */
export function marketDataService(deps: MarketDataServiceDeps): market.MarketDataServiceServer {
  const { engine, store, logger } = deps;
  const configured = new Set(deps.symbols);

  const knownSymbols = () => new Set([...configured, ...engine.quotes.all().map((q) => q.symbol)]);

  const requireSymbol = async (raw: string): Promise<string> => {
    const symbol = raw.trim().toUpperCase();
    if (symbol === '') throw invalid('MARKET_SYMBOL_REQUIRED', 'symbol is required, e.g. "AAPL" or "BTC-USD"');
    if (knownSymbols().has(symbol) || (await store.hasSymbol(symbol))) return symbol;
    throw new RequestError(grpc.status.NOT_FOUND, 'MARKET_SYMBOL_NOT_FOUND',
      `unknown symbol "${symbol}"; known symbols: ${[...knownSymbols()].sort().join(', ')}`);
  };

  return {
    getQuote: unary(logger, 'GetQuote', async (req: market.GetQuoteRequest) => {
      const symbol = await requireSymbol(req.symbol);
      const quote = engine.quotes.get(symbol);
      if (!quote) {
        throw new RequestError(grpc.status.NOT_FOUND, 'MARKET_QUOTE_NOT_FOUND', `no quote for ${symbol} yet: its feed has not ticked; retry shortly`);
      }
      return { quote: quoteMessage(quote) };
    }),

    listSymbols: unary(logger, 'ListSymbols', async (req: market.ListSymbolsRequest) => {
      const provider = engine.currentProvider();
      const covered = new Set(provider?.symbols() ?? []);
      const infos = [...knownSymbols()].sort().map((s) =>
        symbolInfo(s, covered.has(s) && provider ? [provider.name] : [], covered.has(s) || engine.quotes.get(s) !== undefined));
      const assetClass = req.asset_class.trim().toLowerCase();
      return { symbols: assetClass ? infos.filter((i) => i.asset_class === assetClass) : infos };
    }),

    getCandles: unary(logger, 'GetCandles', async (req: market.GetCandlesRequest) => {
      const symbol = await requireSymbol(req.symbol);
      const interval = req.interval.trim();
      if (!isCandleInterval(interval)) {
        throw invalid('MARKET_INVALID_INTERVAL', `interval "${req.interval}" is not supported; use one of ${Object.keys(CANDLE_INTERVALS).join(', ')}`);
      }
      const fromMs = parseTime(req.start_time, 'start_time') ?? 0;
      const toMs = parseTime(req.end_time, 'end_time') ?? Date.now() + 1;
      if (fromMs > toMs) throw invalid('MARKET_INVERTED_RANGE', `start_time ${req.start_time} is after end_time ${req.end_time}; swap them`);
      if (fromMs === toMs) throw invalid('MARKET_EMPTY_RANGE', `start_time equals end_time (${req.start_time}); the range [start, end) is empty`);
      if (req.limit < 0) throw invalid('MARKET_INVALID_LIMIT', `limit ${req.limit} is negative; use 0 for the default (${DEFAULT_CANDLE_LIMIT})`);
      const limit = Math.min(req.limit || DEFAULT_CANDLE_LIMIT, MAX_CANDLE_LIMIT);
      // Save pending changes first so closed windows read back as closed and nothing recent is missing.
      await engine.persist().catch(() => undefined);
      const candles: Candle[] = await store.candles(symbol, interval, fromMs, toMs, limit);
      const open = engine.candles.current(symbol, interval);
      if (open && open.startMs >= fromMs && open.startMs < toMs) {
        const last = candles[candles.length - 1];
        if (last && last.startMs === open.startMs) candles[candles.length - 1] = open;
        else if (!last || last.startMs < open.startMs) {
          candles.push(open);
          if (candles.length > limit) candles.shift();
        }
      }
      return { candles: candles.map(candleMessage) };
    }),

    streamTicks: (call: grpc.ServerWritableStream<market.StreamTicksRequest, market.StreamTicksResponse>) => {
      const wanted = call.request.symbols.map((s) => s.trim().toUpperCase()).filter((s) => s !== '');
      const known = knownSymbols();
      const unknown = wanted.filter((s) => !known.has(s));
      if (unknown.length > 0) {
        // grpc-js turns an 'error' emitted on a server stream into the call's final status.
        call.emit('error', grpcError(grpc.status.NOT_FOUND, `unknown symbol(s) ${unknown.join(', ')}; known symbols: ${[...known].sort().join(', ')}`,
          { appCode: 'MARKET_SYMBOL_NOT_FOUND' }));
        return;
      }
      const filter = wanted.length > 0 ? new Set(wanted) : undefined;
      // A client that reads slower than ticks arrive skips ticks (sequence numbers show the hole)
      // rather than growing the server's buffer without bound.
      let paused = false;
      const stop = engine.onTick((tick) => {
        if (paused || (filter && !filter.has(tick.symbol))) return;
        if (!call.write({ tick })) {
          paused = true;
          call.once('drain', () => (paused = false));
        }
      });
      call.on('cancelled', stop);
      call.on('close', stop);
      call.on('error', stop);
    },

    getProviderStats: unary(logger, 'GetProviderStats', async (req: market.GetProviderStatsRequest) => {
      const provider = engine.currentProvider();
      const name = req.provider.trim().toLowerCase();
      if (name && provider?.name !== name) {
        throw new RequestError(grpc.status.NOT_FOUND, 'MARKET_PROVIDER_NOT_FOUND',
          `provider "${req.provider}" is not running; this instance runs ${provider?.name ?? 'no provider'}`);
      }
      return { providers: provider ? [providerCallStats(provider.stats())] : [] };
    }),

    listDataQualityIssues: unary(logger, 'ListDataQualityIssues', async (req: market.ListDataQualityIssuesRequest) => {
      const kind = req.kind.trim();
      if (kind && !ISSUE_KINDS.includes(kind as QualityIssueKind)) {
        throw invalid('MARKET_INVALID_ISSUE_KIND', `kind "${req.kind}" is not known; use one of ${ISSUE_KINDS.join(', ')}`);
      }
      if (req.limit < 0) throw invalid('MARKET_INVALID_LIMIT', `limit ${req.limit} is negative; use 0 for the default (${DEFAULT_ISSUE_LIMIT})`);
      const symbol = req.symbol.trim() ? await requireSymbol(req.symbol) : undefined;
      const sinceMs = parseTime(req.since, 'since') ?? Date.now() - 86_400_000;
      await engine.persist().catch(() => undefined);
      const issues = await store.issues({ symbol, kind: kind || undefined, sinceMs, limit: Math.min(req.limit || DEFAULT_ISSUE_LIMIT, MAX_ISSUE_LIMIT) });
      return { issues: issues.map(issueMessage) };
    }),
  };
}
