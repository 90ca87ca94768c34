import type { MarketDataConfig } from '../config';
import { BinanceProtocol } from './binance';
import { CoinbaseProtocol } from './coinbase';
import type { MarketDataProvider } from './provider';
import { ReplayProvider } from './replay';
import { SimulatedProvider } from './simulated';
import { WebSocketFeedProvider } from './websocket_feed';

export interface CreateProviderOptions {
  /** Last known prices, so the simulated feed carries on from them after a restart. */
  initialPrices?: Record<string, number>;
  onReplayEnd?: () => void;
}

/** The provider MARKET_PROVIDER names, configured from the MARKET_* variables. */
export function createProvider(config: MarketDataConfig, options: CreateProviderOptions = {}): MarketDataProvider {
  const wsOptions = {
    reconnectMinMs: config.MARKET_WS_RECONNECT_MIN_MS,
    reconnectMaxMs: config.MARKET_WS_RECONNECT_MAX_MS,
    idleTimeoutMs: config.MARKET_WS_IDLE_TIMEOUT_MS,
    maxMessagesPerSecond: config.MARKET_WS_MAX_MESSAGES_PER_SECOND,
  };
  switch (config.MARKET_PROVIDER) {
    case 'simulated':
      return new SimulatedProvider({
        symbols: config.MARKET_SYMBOLS,
        ticksPerSecond: config.MARKET_TICK_RATE,
        seed: config.MARKET_SEED,
        initialPrices: options.initialPrices,
      });
    case 'replay':
      if (!config.MARKET_REPLAY_FILE) {
        throw Object.assign(new Error('MARKET_PROVIDER=replay needs MARKET_REPLAY_FILE, the path of a CSV or NDJSON file of ticks'), {
          code: 'MARKET_REPLAY_FILE_MISSING',
        });
      }
      return new ReplayProvider({
        path: config.MARKET_REPLAY_FILE,
        speed: config.MARKET_REPLAY_SPEED,
        rebase: config.MARKET_REPLAY_REBASE,
        loop: config.MARKET_REPLAY_LOOP,
        symbols: config.MARKET_SYMBOLS,
        onEnd: options.onReplayEnd,
      });
    case 'binance':
      return new WebSocketFeedProvider(new BinanceProtocol(config.MARKET_SYMBOLS, config.MARKET_BINANCE_USD_QUOTE), {
        baseUrl: config.MARKET_BINANCE_URL,
        ...wsOptions,
      });
    case 'coinbase':
      return new WebSocketFeedProvider(new CoinbaseProtocol(config.MARKET_SYMBOLS), { baseUrl: config.MARKET_COINBASE_URL, ...wsOptions });
  }
}
