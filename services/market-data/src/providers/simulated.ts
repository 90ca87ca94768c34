import type { Tick } from '../tick';
import type { MarketDataProvider, TickSink } from './provider';
import { ProviderStatsRecorder, type ProviderStats } from './provider_stats';
import { SeededRandom, hash32 } from './random';

export interface SimulatedFeedOptions {
  symbols: string[];
  /** Ticks per second for each symbol. */
  ticksPerSecond: number;
  seed: number;
  /** Start prices, e.g. the last persisted quotes so a restart carries on where it stopped. */
  initialPrices?: Record<string, number>;
  /** Time of the first tick; defaults to now. */
  startTimeMs?: number;
}

interface SymbolProfile {
  price: number;
  /** Annualised drift and volatility of the geometric Brownian motion. */
  drift: number;
  volatility: number;
  /** Quoted spread as a fraction of the price. */
  spread: number;
  /** Median size of one trade. */
  lotSize: number;
  /** Decimals of the traded quantity. */
  sizeDecimals: number;
}

const KNOWN_PRICES: Record<string, number> = {
  AAPL: 190,
  MSFT: 420,
  GOOGL: 170,
  AMZN: 185,
  TSLA: 250,
  'BTC-USD': 65000,
  'ETH-USD': 3400,
};

/** Markets are simulated as trading around the clock, so a year is 365 days of seconds. */
const SECONDS_PER_YEAR = 365 * 24 * 3600;

function isCryptoPair(symbol: string): boolean {
  return symbol.includes('-');
}

function profileFor(symbol: string, random: SeededRandom, initialPrice?: number): SymbolProfile {
  const crypto = isCryptoPair(symbol);
  return {
    price: initialPrice ?? KNOWN_PRICES[symbol] ?? 20 + random.next() * 480,
    drift: crypto ? 0.1 : 0.07,
    volatility: crypto ? 0.8 : 0.3,
    spread: crypto ? 0.0001 : 0.0002,
    lotSize: crypto ? 0.05 : 100,
    sizeDecimals: crypto ? 4 : 0,
  };
}

function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

/**
 * The deterministic part of the simulated feed: geometric Brownian motion per symbol, each symbol
 * with its own random stream derived from (seed, symbol), so the same seed gives the same ticks and
 * adding a symbol does not change the others'.
 */
export class SimulatedMarket {
  private readonly intervalMs: number;
  private step = 0;
  private readonly state: { symbol: string; random: SeededRandom; profile: SymbolProfile; price: number }[];

  constructor(private readonly options: SimulatedFeedOptions & { startTimeMs: number }) {
    if (!(options.ticksPerSecond > 0)) throw new Error('ticksPerSecond must be > 0');
    this.intervalMs = 1000 / options.ticksPerSecond;
    this.state = options.symbols.map((symbol) => {
      const random = new SeededRandom(hash32(symbol, options.seed >>> 0));
      const profile = profileFor(symbol, random, options.initialPrices?.[symbol]);
      return { symbol, random, profile, price: profile.price };
    });
  }

  /** Time of the next step's ticks. */
  nextTimeMs(): number {
    return this.options.startTimeMs + Math.round(this.step * this.intervalMs);
  }

  /** One tick per symbol, all stamped with the same step time. */
  nextStep(): Tick[] {
    const timeMs = this.nextTimeMs();
    const dtYears = this.intervalMs / 1000 / SECONDS_PER_YEAR;
    const sqrtDt = Math.sqrt(dtYears);
    const ticks: Tick[] = new Array(this.state.length);
    for (let i = 0; i < this.state.length; i++) {
      const s = this.state[i];
      const { drift, volatility, spread, lotSize, sizeDecimals } = s.profile;
      s.price *= Math.exp((drift - 0.5 * volatility * volatility) * dtYears + volatility * sqrtDt * s.random.normal());
      const halfSpread = (s.price * spread * (1 + 0.5 * Math.abs(s.random.normal()))) / 2;
      const price = round(s.price, 2);
      const size = Math.max(round(lotSize * Math.exp(0.75 * s.random.normal()), sizeDecimals), 10 ** -sizeDecimals);
      ticks[i] = {
        symbol: s.symbol,
        price,
        bid: round(price - halfSpread, 2),
        ask: round(price + halfSpread, 2),
        volume: size,
        timeMs,
        provider: 'simulated',
      };
    }
    this.step++;
    return ticks;
  }
}

/** Longest burst generated in one timer turn, so a stalled loop catches up without blocking it. */
const MAX_STEPS_PER_TURN = 5000;

/** Plays a SimulatedMarket in real time: ticks are emitted when the clock reaches their time. */
export class SimulatedProvider implements MarketDataProvider {
  readonly name = 'simulated';
  readonly liveClock = true;
  private readonly recorder = new ProviderStatsRecorder(this.name);
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SimulatedFeedOptions) {}

  symbols(): string[] {
    return [...this.options.symbols];
  }

  async start(sink: TickSink): Promise<void> {
    const market = new SimulatedMarket({ ...this.options, startTimeMs: this.options.startTimeMs ?? Date.now() });
    const periodMs = Math.max(5, Math.min(100, 1000 / this.options.ticksPerSecond));
    this.recorder.setConnected(true);
    this.timer = setInterval(() => {
      const now = Date.now();
      let steps = 0;
      let emitted = 0;
      const lateness = now - market.nextTimeMs();
      while (market.nextTimeMs() <= now && steps < MAX_STEPS_PER_TURN) {
        for (const tick of market.nextStep()) sink(tick);
        emitted += this.options.symbols.length;
        steps++;
      }
      if (steps > 0) this.recorder.call(lateness, emitted);
    }, periodMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.recorder.setConnected(false);
  }

  stats(): ProviderStats {
    return this.recorder.snapshot();
  }
}
