import { market } from '@marketpulse/proto';
import {
  assertValid,
  checkCount,
  checkInt32,
  checkSymbol,
  checkText,
  checkTimestamp,
  DEFAULT_STREAM_BUFFER_MESSAGES,
  INT32_MAX,
  quote,
  sendUntilClosed,
  serveGrpc,
  type GrpcHandlers,
  type GrpcServiceRegistration,
  type Logger,
} from '@marketpulse/runtime';
import { CANDLE_INTERVALS, isCandleInterval, type Candle } from '../candles';
import type { MarketDataEngine } from '../engine';
import { marketDataErrors } from '../errors';
import { candleMessage, issueMessage, quoteMessage } from '../proto_mapping';
import { providerCallStats } from '../provider_status';
import type { QualityIssueKind } from '../quality';
import type { MarketDataStore } from '../store';
import { symbolInfo } from '../symbols';

const DEFAULT_CANDLE_LIMIT = 500;
const MAX_CANDLE_LIMIT = 10_000;
const DEFAULT_ISSUE_LIMIT = 100;
const MAX_ISSUE_LIMIT = 1000;
/** More than every symbol a feed carries: a longer list is a mistake, not a subscription. */
const MAX_STREAM_SYMBOLS = 1000;
const ISSUE_KINDS: QualityIssueKind[] = ['gap', 'outlier', 'stale_feed', 'crossed_quote', 'out_of_order', 'invalid_value'];

export interface MarketDataServiceDeps {
  engine: MarketDataEngine;
  store: MarketDataStore;
  /** Configured symbols; symbols seen in the feed or the database are added to them. */
  symbols: string[];
  logger: Logger;
  /** GRPC_STREAM_BUFFER_MESSAGES: ticks a StreamTicks reader may leave unread before its stream ends (SLOW_CONSUMER). */
  streamBuffer?: number;
}

const violation = (field: string, description: string) => ({ violations: [{ field, description }] });

function parseTime(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const problems = checkTimestamp(value, { field });
  if (problems.length > 0) throw marketDataErrors('MARKET_INVALID_TIME', `${field}: ${problems[0]!.description}`, { violations: problems });
  return Date.parse(value);
}

function checkLimit(limit: number, max: number, fallback: number): void {
  const problems = checkInt32(limit, { field: 'limit', min: 0, max: INT32_MAX });
  if (problems.length > 0)
    throw marketDataErrors(
      'MARKET_INVALID_LIMIT',
      `limit ${limit} is negative; use 0 for the default (${fallback}), at most ${max} are returned`,
      { violations: problems },
    );
}

/** The MarketDataService gRPC implementation, served by the runtime's one handler wrapper. */
export function marketDataService(deps: MarketDataServiceDeps): GrpcServiceRegistration {
  const { engine, store, logger } = deps;
  const configured = new Set(deps.symbols);

  const knownSymbols = () => new Set([...configured, ...engine.quotes.all().map((q) => q.symbol)]);

  /** A symbol as every door spells it, upper-cased; refused before it reaches the store. */
  const normalSymbol = (raw: string, field = 'symbol'): string => {
    const symbol = raw.trim().toUpperCase();
    if (symbol === '')
      throw marketDataErrors('MARKET_SYMBOL_REQUIRED', 'symbol is required, e.g. "AAPL" or "BTC-USD"', violation(field, 'is required'));
    const problems = checkSymbol(symbol, { field });
    if (problems.length > 0)
      throw marketDataErrors('MARKET_INVALID_SYMBOL', `${field} ${quote(raw)} ${problems[0]!.description}`, { violations: problems });
    return symbol;
  };

  const requireSymbol = async (raw: string): Promise<string> => {
    const symbol = normalSymbol(raw);
    if (knownSymbols().has(symbol) || (await store.hasSymbol(symbol))) return symbol;
    throw marketDataErrors(
      'MARKET_SYMBOL_NOT_FOUND',
      `unknown symbol "${symbol}"; known symbols: ${[...knownSymbols()].sort().join(', ')}`,
      {
        metadata: { symbol },
      },
    );
  };

  const handlers: GrpcHandlers<market.MarketDataServiceServer> = {
    getQuote: async (req) => {
      const symbol = await requireSymbol(req.symbol);
      const quote = engine.quotes.get(symbol);
      if (!quote) {
        throw marketDataErrors('MARKET_QUOTE_NOT_FOUND', `no quote for ${symbol} yet: its feed has not ticked; retry shortly`, {
          metadata: { symbol },
        });
      }
      return { quote: quoteMessage(quote) };
    },

    listSymbols: async (req) => {
      assertValid([checkText(req.asset_class, { field: 'asset_class', max: 32 })], {
        reason: 'MARKET_INVALID_ARGUMENT',
        domain: marketDataErrors.domain,
      });
      const provider = engine.currentProvider();
      const covered = new Set(provider?.symbols() ?? []);
      const infos = [...knownSymbols()]
        .sort()
        .map((s) => symbolInfo(s, covered.has(s) && provider ? [provider.name] : [], covered.has(s) || engine.quotes.get(s) !== undefined));
      const assetClass = req.asset_class.trim().toLowerCase();
      return { symbols: assetClass ? infos.filter((i) => i.asset_class === assetClass) : infos };
    },

    getCandles: async (req) => {
      const symbol = await requireSymbol(req.symbol);
      const interval = req.interval.trim();
      if (!isCandleInterval(interval)) {
        throw marketDataErrors(
          'MARKET_INVALID_INTERVAL',
          `interval ${quote(req.interval)} is not supported; use one of ${Object.keys(CANDLE_INTERVALS).join(', ')}`,
          violation('interval', `must be one of: ${Object.keys(CANDLE_INTERVALS).join(', ')}`),
        );
      }
      const fromMs = parseTime(req.start_time, 'start_time') ?? 0;
      const toMs = parseTime(req.end_time, 'end_time') ?? Date.now() + 1;
      if (fromMs > toMs)
        throw marketDataErrors(
          'MARKET_INVERTED_RANGE',
          `start_time ${req.start_time} is after end_time ${req.end_time}; swap them`,
          violation('start_time', 'must not be after end_time'),
        );
      if (fromMs === toMs)
        throw marketDataErrors(
          'MARKET_EMPTY_RANGE',
          `start_time equals end_time (${req.start_time}); the range [start, end) is empty`,
          violation('end_time', 'must be after start_time'),
        );
      checkLimit(req.limit, MAX_CANDLE_LIMIT, DEFAULT_CANDLE_LIMIT);
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
    },

    streamTicks: (request, call) => {
      assertValid([checkCount(request.symbols, { field: 'symbols', max: MAX_STREAM_SYMBOLS })], {
        reason: 'MARKET_INVALID_ARGUMENT',
        domain: marketDataErrors.domain,
      });
      const wanted = request.symbols.filter((s) => s.trim() !== '').map((s, i) => normalSymbol(s, `symbols[${i}]`));
      const known = knownSymbols();
      const unknown = wanted.filter((s) => !known.has(s));
      if (unknown.length > 0) {
        throw marketDataErrors(
          'MARKET_SYMBOL_NOT_FOUND',
          `unknown symbol(s) ${unknown.join(', ')}; known symbols: ${[...known].sort().join(', ')}`,
          {
            metadata: { symbols: unknown.join(',') },
          },
        );
      }
      const filter = wanted.length > 0 ? new Set(wanted) : undefined;
      const bound = { limit: deps.streamBuffer ?? DEFAULT_STREAM_BUFFER_MESSAGES, catchUp: 'read the ticks it missed with GetCandles' };
      return sendUntilClosed(call, bound, (send) =>
        engine.onTick((tick) => {
          if (!filter || filter.has(tick.symbol)) send({ tick });
        }),
      );
    },

    getProviderStats: async (req) => {
      assertValid([checkText(req.provider, { field: 'provider', max: 64 })], {
        reason: 'MARKET_INVALID_ARGUMENT',
        domain: marketDataErrors.domain,
      });
      const provider = engine.currentProvider();
      const name = req.provider.trim().toLowerCase();
      if (name && provider?.name !== name) {
        throw marketDataErrors(
          'MARKET_PROVIDER_NOT_FOUND',
          `provider ${quote(req.provider)} is not running; this instance runs ${provider?.name ?? 'no provider'}`,
        );
      }
      return { providers: provider ? [providerCallStats(provider.stats())] : [] };
    },

    listDataQualityIssues: async (req) => {
      const kind = req.kind.trim();
      if (kind && !ISSUE_KINDS.includes(kind as QualityIssueKind)) {
        throw marketDataErrors(
          'MARKET_INVALID_ISSUE_KIND',
          `kind ${quote(req.kind)} is not known; use one of ${ISSUE_KINDS.join(', ')}`,
          violation('kind', `must be one of: ${ISSUE_KINDS.join(', ')}`),
        );
      }
      checkLimit(req.limit, MAX_ISSUE_LIMIT, DEFAULT_ISSUE_LIMIT);
      const symbol = req.symbol.trim() ? await requireSymbol(req.symbol) : undefined;
      const sinceMs = parseTime(req.since, 'since') ?? Date.now() - 86_400_000;
      await engine.persist().catch(() => undefined);
      const issues = await store.issues({
        symbol,
        kind: kind || undefined,
        sinceMs,
        limit: Math.min(req.limit || DEFAULT_ISSUE_LIMIT, MAX_ISSUE_LIMIT),
      });
      return { issues: issues.map(issueMessage) };
    },
  };
  return serveGrpc<market.MarketDataServiceServer>(market.MarketDataServiceService, handlers, { logger });
}
