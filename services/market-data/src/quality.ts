import { randomUUID } from 'node:crypto';
import { eventTimeProblem, TIMESTAMP_MAX, TIMESTAMP_MIN } from '@marketpulse/runtime';
import type { Tick } from './tick';

/**
 * A time an event can carry and its consumers act on: from a live feed, the consumers' own rule
 * (1970 to EVENT_TIME_MAX_AHEAD_MS past its arrival); from a recording, an instant from 1970 to 9999.
 * A feed's `1e17` is a finite number but no Date: building its event threw inside the feed's socket
 * handler, which ended the process. A live tick dated 2100 made every later tick out of order, so
 * the symbol's quote and candles froze.
 */
export const isEventTime = (ms: number, receivedMs: number, liveClock: boolean): boolean =>
  liveClock ? eventTimeProblem(ms, receivedMs) === undefined : ms >= TIMESTAMP_MIN && ms <= TIMESTAMP_MAX;

export type QualityIssueKind = 'gap' | 'outlier' | 'stale_feed' | 'crossed_quote' | 'out_of_order' | 'invalid_value';
export type QualitySeverity = 'info' | 'warning' | 'high' | 'critical';

export interface QualityIssue {
  id: string;
  kind: QualityIssueKind;
  symbol: string;
  provider: string;
  severity: QualitySeverity;
  detail: string;
  detectedAtMs: number;
  observedValue: number;
  expectedValue: number;
  windowStartMs?: number;
  windowEndMs?: number;
}

export interface QualityRules {
  /** Event-time gap between two ticks of a symbol that counts as missing data. */
  gapMs: number;
  /** A feed with no tick for this long (wall clock), or a tick this old on arrival, is stale. */
  staleMs: number;
  /** Log-return further than this many standard deviations from the recent mean is an outlier. */
  outlierSigma: number;
  /** Returns seen before the outlier rule starts judging. */
  outlierWarmup: number;
  /** Span (in ticks) of the exponentially weighted mean and variance of returns. */
  outlierWindow: number;
  /** The same kind of issue for the same symbol is reported at most once per this period. */
  cooldownMs: number;
}

/**
 * Floor (1 basis point) for the deviation of returns: on a quiet or coarsely priced series the
 * measured deviation collapses and a one-cent move would otherwise count as many sigmas.
 */
const MIN_RETURN_STD = 1e-4;

interface SymbolState {
  provider: string;
  lastTimeMs: number;
  lastPrice: number;
  lastReceivedMs: number;
  returns: number;
  mean: number;
  variance: number;
  staleReported: boolean;
}

const SECONDS = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

/**
 * Checks each tick against the data-quality rules; O(1) per tick.
 * check() says whether a tick may update quotes and candles: out-of-order and invalid ticks may not.
 */
export class DataQualityMonitor {
  private readonly state = new Map<string, SymbolState>();
  private readonly lastReported = new Map<string, number>();
  private readonly alpha: number;

  constructor(
    private readonly rules: QualityRules,
    private readonly onIssue: (issue: QualityIssue) => void,
  ) {
    this.alpha = 2 / (rules.outlierWindow + 1);
  }

  /** Symbols expected to tick from now on: they become stale if they never do. */
  expect(symbols: string[], provider: string, nowMs: number): void {
    for (const symbol of symbols) {
      if (!this.state.has(symbol)) {
        this.state.set(symbol, {
          provider,
          lastTimeMs: NaN,
          lastPrice: NaN,
          lastReceivedMs: nowMs,
          returns: 0,
          mean: 0,
          variance: 0,
          staleReported: false,
        });
      }
    }
  }

  check(tick: Tick, receivedMs: number, liveClock: boolean): boolean {
    if (!(tick.price > 0) || !(tick.volume >= 0) || !isEventTime(tick.timeMs, receivedMs, liveClock)) {
      this.report(
        tick,
        'invalid_value',
        'critical',
        `price ${tick.price}, volume ${tick.volume} or time ${tick.timeMs} is not valid; tick ignored`,
        tick.price,
        0,
        receivedMs,
      );
      return false;
    }
    let s = this.state.get(tick.symbol);
    if (!s) {
      s = {
        provider: tick.provider,
        lastTimeMs: NaN,
        lastPrice: NaN,
        lastReceivedMs: receivedMs,
        returns: 0,
        mean: 0,
        variance: 0,
        staleReported: false,
      };
      this.state.set(tick.symbol, s);
    }
    s.provider = tick.provider;
    s.lastReceivedMs = receivedMs;
    s.staleReported = false;

    if (tick.bid > tick.ask) {
      this.report(tick, 'crossed_quote', 'high', `bid ${tick.bid} is above ask ${tick.ask}`, tick.bid, tick.ask, receivedMs);
    }
    if (liveClock && receivedMs - tick.timeMs > this.rules.staleMs) {
      this.report(
        tick,
        'stale_feed',
        'warning',
        `tick is ${SECONDS(receivedMs - tick.timeMs)} old on arrival (threshold ${SECONDS(this.rules.staleMs)})`,
        receivedMs - tick.timeMs,
        this.rules.staleMs,
        receivedMs,
        tick.timeMs,
        receivedMs,
      );
    }
    if (Number.isNaN(s.lastTimeMs)) {
      s.lastTimeMs = tick.timeMs;
      s.lastPrice = tick.price;
      return true;
    }
    if (tick.timeMs < s.lastTimeMs) {
      this.report(
        tick,
        'out_of_order',
        'warning',
        `tick at ${new Date(tick.timeMs).toISOString()} arrived after one at ${new Date(s.lastTimeMs).toISOString()}; left out of quotes and candles`,
        tick.timeMs,
        s.lastTimeMs,
        receivedMs,
      );
      return false;
    }
    const gap = tick.timeMs - s.lastTimeMs;
    if (gap > this.rules.gapMs) {
      this.report(
        tick,
        'gap',
        'warning',
        `no tick for ${SECONDS(gap)} (threshold ${SECONDS(this.rules.gapMs)})`,
        gap,
        this.rules.gapMs,
        receivedMs,
        s.lastTimeMs,
        tick.timeMs,
      );
    }
    const r = Math.log(tick.price / s.lastPrice);
    const std = Math.max(Math.sqrt(s.variance), MIN_RETURN_STD);
    const deviation = Math.abs(r - s.mean) / std;
    if (s.returns >= this.rules.outlierWarmup && deviation > this.rules.outlierSigma) {
      this.report(
        tick,
        'outlier',
        'high',
        `price ${tick.price} moved ${(r * 100).toFixed(3)}% from ${s.lastPrice}, ${deviation.toFixed(1)} standard deviations (threshold ${this.rules.outlierSigma})`,
        tick.price,
        s.lastPrice,
        receivedMs,
      );
    } else {
      // Outliers stay out of the statistics, so one bad print does not widen the band for the next.
      const delta = r - s.mean;
      s.mean += this.alpha * delta;
      s.variance = (1 - this.alpha) * (s.variance + this.alpha * delta * delta);
      s.returns++;
    }
    s.lastTimeMs = tick.timeMs;
    s.lastPrice = tick.price;
    return true;
  }

  /** Reports symbols that have been quiet for longer than staleMs (once per quiet spell). */
  sweepStale(nowMs: number): void {
    for (const [symbol, s] of this.state) {
      const quietMs = nowMs - s.lastReceivedMs;
      if (!s.staleReported && quietMs > this.rules.staleMs) {
        s.staleReported = true;
        this.emit({
          id: randomUUID(),
          kind: 'stale_feed',
          symbol,
          provider: s.provider,
          severity: 'warning',
          detail: `no tick for ${SECONDS(quietMs)} (threshold ${SECONDS(this.rules.staleMs)})`,
          detectedAtMs: nowMs,
          observedValue: quietMs,
          expectedValue: this.rules.staleMs,
          windowStartMs: s.lastReceivedMs,
          windowEndMs: nowMs,
        });
      }
    }
  }

  private report(
    tick: Tick,
    kind: QualityIssueKind,
    severity: QualitySeverity,
    detail: string,
    observedValue: number,
    expectedValue: number,
    nowMs: number,
    windowStartMs?: number,
    windowEndMs?: number,
  ): void {
    const key = tick.symbol + '|' + kind;
    const last = this.lastReported.get(key);
    if (last !== undefined && nowMs - last < this.rules.cooldownMs) return;
    this.lastReported.set(key, nowMs);
    this.emit({
      id: randomUUID(),
      kind,
      symbol: tick.symbol,
      provider: tick.provider,
      severity,
      detail,
      detectedAtMs: nowMs,
      observedValue,
      expectedValue,
      windowStartMs,
      windowEndMs,
    });
  }

  private emit(issue: QualityIssue): void {
    this.onIssue(issue);
  }
}
