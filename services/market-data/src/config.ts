import {
  envBoolean,
  envInt,
  envNonNegativeInt,
  envPort,
  envPositiveInt,
  loadConfig as loadEnv,
  grpcStreamConfigShape,
  metricsConfigShape,
  serviceConfigSchema,
  SYMBOL_HINT,
  SYMBOL_MAX,
  SYMBOL_PATTERN,
  type EnvSource,
} from '@marketpulse/runtime';
import { z } from 'zod';

const positive = (what: string) => z.coerce.number({ error: `expected ${what}` }).positive({ error: `expected ${what}` });

export const PROVIDERS = ['simulated', 'replay', 'binance', 'coinbase'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

const isSymbol = (s: string) => s.length <= SYMBOL_MAX && SYMBOL_PATTERN.test(s);

export const marketDataConfigSchema = serviceConfigSchema('market-data', {
  GRPC_PORT: envPort().default(50051).describe('Port of the MarketDataService gRPC server (0 picks a free port).'),
  ...metricsConfigShape(9465),
  ...grpcStreamConfigShape(),
  MARKET_PROVIDER: z
    .enum(PROVIDERS, { error: `expected one of ${PROVIDERS.join('|')}` })
    .default('simulated')
    .describe(
      'Feed the ticks come from: simulated (deterministic GBM), replay (a CSV/NDJSON file), binance or coinbase (public WebSocket streams).',
    ),
  MARKET_SYMBOLS: z
    .string()
    .transform((v) => [
      ...new Set(
        v
          .split(',')
          .map((s) => s.trim().toUpperCase())
          .filter((s) => s !== ''),
      ),
    ])
    .refine((v) => v.length > 0, { error: 'expected at least one symbol' })
    // Every tick, candle and event carries the symbol, and every door refuses one outside this pattern.
    .refine((v) => v.every(isSymbol), {
      error: (issue) =>
        `${(issue.input as string[])
          .filter((s) => !isSymbol(s))
          .map((s) => JSON.stringify(s))
          .join(', ')}: a symbol has at most ${SYMBOL_MAX} ${SYMBOL_HINT}`,
    })
    .default(['AAPL', 'MSFT', 'GOOGL', 'AMZN', 'TSLA', 'BTC-USD', 'ETH-USD'])
    .describe('Comma-separated symbols; crypto pairs as BASE-QUOTE (BTC-USD). Exchange feeds price only the pairs they list.'),
  MARKET_TICK_RATE: positive('ticks per second > 0').default(2).describe('Simulated feed: ticks per second for each symbol.'),
  MARKET_SEED: envInt('an integer seed').default(42).describe('Simulated feed: random seed; the same seed gives the same ticks.'),
  MARKET_REPLAY_FILE: z
    .string()
    .default('')
    .describe('Replay feed: path of a .csv (header: symbol,price,bid,ask,volume,time) or .ndjson file of ticks.'),
  MARKET_REPLAY_SPEED: z.coerce
    .number({ error: 'expected a speed factor >= 0' })
    .min(0)
    .default(1)
    .describe('Replay feed: 1 plays at the recorded pace, 10 ten times faster, 0 as fast as possible.'),
  MARKET_REPLAY_REBASE: envBoolean
    .default(false)
    .describe('Replay feed: shift tick times so the first record happens now (otherwise recorded times are kept).'),
  MARKET_REPLAY_LOOP: envBoolean.default(false).describe('Replay feed: start again at the end of the file, continuing the timeline.'),
  MARKET_BINANCE_URL: z
    .url({ protocol: /^wss?$/, error: 'expected a ws:// or wss:// URL' })
    .default('wss://stream.binance.com:9443')
    .describe('Binance feed: base URL of the public market streams (the combined-stream path is appended).'),
  MARKET_BINANCE_USD_QUOTE: z
    .string()
    .min(1)
    .default('USDT')
    .describe('Binance feed: quote asset standing in for USD, so BTC-USD is read from BTCUSDT.'),
  MARKET_COINBASE_URL: z
    .url({ protocol: /^wss?$/, error: 'expected a ws:// or wss:// URL' })
    .default('wss://ws-feed.exchange.coinbase.com')
    .describe('Coinbase feed: URL of the Exchange WebSocket feed (ticker channel).'),
  MARKET_WS_RECONNECT_MIN_MS: envPositiveInt('milliseconds')
    .default(500)
    .describe('Exchange feeds: first reconnect delay; doubles on each failure up to MARKET_WS_RECONNECT_MAX_MS.'),
  MARKET_WS_RECONNECT_MAX_MS: envPositiveInt('milliseconds').default(30_000).describe('Exchange feeds: longest reconnect delay.'),
  MARKET_WS_IDLE_TIMEOUT_MS: envPositiveInt('milliseconds')
    .default(60_000)
    .describe('Exchange feeds: reconnect when no message arrived for this long.'),
  MARKET_WS_MAX_MESSAGES_PER_SECOND: envPositiveInt('messages a second')
    .default(5000)
    .describe(
      "Exchange feeds: messages read a second at most; past it reading pauses (the exchange's TCP send waits) so a flood cannot take market-data's whole CPU. Real public streams for a few symbols send far fewer.",
    ),
  MARKET_GAP_MS: envPositiveInt('milliseconds')
    .default(5000)
    .describe('Data quality: two ticks of a symbol further apart than this (event time) are a gap.'),
  MARKET_STALE_MS: envPositiveInt('milliseconds')
    .default(10_000)
    .describe('Data quality: a symbol with no tick for this long, or a tick this old on arrival, is a stale feed.'),
  MARKET_OUTLIER_SIGMA: positive('a number of standard deviations')
    .default(6)
    .describe('Data quality: a return further than this many standard deviations from the recent mean is an outlier.'),
  MARKET_OUTLIER_WARMUP: envPositiveInt('a tick count')
    .default(30)
    .describe('Data quality: returns observed per symbol before outliers are judged.'),
  MARKET_OUTLIER_WINDOW: envPositiveInt('a tick count')
    .default(100)
    .describe('Data quality: span in ticks of the moving mean and deviation of returns.'),
  MARKET_QUALITY_COOLDOWN_MS: envNonNegativeInt('milliseconds (0 or more)')
    .default(1000)
    .describe('Data quality: the same kind of issue for one symbol is reported at most once per this period.'),
  MARKET_CANDLE_GRACE_MS: envNonNegativeInt('milliseconds (0 or more)')
    .default(250)
    .describe('Candles: how long after its end a window of a quiet symbol waits for late ticks before closing.'),
  MARKET_CANDLE_RETENTION_HOURS: positive('hours')
    .default(24)
    .describe('Candles: 1 s candles older than this are deleted (1 min and 1 h candles are kept).'),
  MARKET_PERSIST_INTERVAL_MS: envPositiveInt('milliseconds')
    .default(1000)
    .describe('How often quotes, candles and issues are written to the database.'),
  MARKET_PUBLISH_BATCH: envPositiveInt('an event count').default(1000).describe('Most events handed to the bus in one publish call.'),
  MARKET_SPOOL_DIR: z
    .string()
    .default('')
    .describe(
      'Folder of the outage spool: while Kafka refuses events they are also appended to a file here, so a crash loses none, and the next start publishes them first. One file per KAFKA_TOPIC_PREFIX, locked by one process at a time. Empty: <PGLITE_DIR>/<SERVICE_NAME>-spool. Used with BUS=kafka only.',
    ),
  MARKET_SPOOL_MEMORY_EVENTS: envPositiveInt('an event count')
    .default(100_000)
    .describe(
      'While Kafka refuses events (or a spool left by an earlier run is replayed): about how many events are kept in memory (half read back, half new). The rest of the backlog is only in the spool file and read back from it, in order, as Kafka accepts events. Used with BUS=kafka only.',
    ),
  MARKET_SPOOL_FLUSH_MS: envPositiveInt('milliseconds')
    .default(50)
    .describe(
      'Longest time an event waits in memory alone before the spool writes and fsyncs it, once Kafka refuses events or a publish has waited this long for its answer (one fsync per round, not per event). Used with BUS=kafka only.',
    ),
});

export type MarketDataConfig = z.output<typeof marketDataConfigSchema>;

export function loadConfig(env: EnvSource = process.env): MarketDataConfig {
  return loadEnv(marketDataConfigSchema, env);
}
