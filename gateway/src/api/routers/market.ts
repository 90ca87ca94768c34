import { z } from 'zod';
import { isoTime as time, limitQuery, symbol, text } from '../schemas/common';
import { Candle, DataQualityIssue, Quote, SymbolInfo } from '../schemas/market';
import { call } from '../service_clients';
import { router, scopedProcedure } from '../trpc';

const TAGS = ['market-data'];
const read = scopedProcedure('read');

/** Quotes, symbols, candles and data-quality issues under /api/v1/market, over market-data. */
export const marketRouter = router({
  symbols: read
    .meta({ openapi: { method: 'GET', path: '/api/v1/market/symbols', tags: TAGS, summary: 'List symbols', protect: true } })
    .input(z.object({ asset_class: text(64).optional() }))
    .output(z.object({ symbols: z.array(SymbolInfo) }))
    .query(({ ctx, input }) => call(ctx.services.marketData, (c) => c.listSymbols, { asset_class: input.asset_class ?? '' })),

  quote: read
    .meta({
      openapi: { method: 'GET', path: '/api/v1/market/quotes/{symbol}', tags: TAGS, summary: 'Latest quote of a symbol', protect: true },
    })
    .input(z.object({ symbol }))
    .output(Quote)
    .query(async ({ ctx, input }) => {
      const res = await call(ctx.services.marketData, (c) => c.getQuote, { symbol: input.symbol });
      if (!res.quote) throw new Error('market-data answered without a quote');
      return res.quote;
    }),

  candles: read
    .meta({
      openapi: { method: 'GET', path: '/api/v1/market/candles/{symbol}', tags: TAGS, summary: 'OHLCV candles of a symbol', protect: true },
    })
    .input(
      z.object({
        symbol,
        interval: z.enum(['1s', '1m', '1h']).default('1m'),
        start_time: time.optional(),
        end_time: time.optional(),
        limit: limitQuery(5000),
      }),
    )
    .output(z.object({ candles: z.array(Candle) }))
    .query(({ ctx, input }) =>
      call(ctx.services.marketData, (c) => c.getCandles, {
        symbol: input.symbol,
        interval: input.interval,
        start_time: input.start_time,
        end_time: input.end_time,
        limit: input.limit ?? 0,
      }),
    ),

  dataQuality: read
    .meta({ openapi: { method: 'GET', path: '/api/v1/market/data-quality', tags: TAGS, summary: 'Data-quality issues', protect: true } })
    .input(z.object({ symbol: symbol.optional(), kind: text(64).optional(), since: time.optional(), limit: limitQuery(1000) }))
    .output(z.object({ issues: z.array(DataQualityIssue) }))
    .query(({ ctx, input }) =>
      call(ctx.services.marketData, (c) => c.listDataQualityIssues, {
        symbol: input.symbol ?? '',
        kind: input.kind ?? '',
        since: input.since,
        limit: input.limit ?? 0,
      }),
    ),
});
