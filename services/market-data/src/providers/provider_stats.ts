/**
 * Counts a provider's calls, failures and latency, the figures provider-monitor watches.
 * A "call" is one unit of work against the upstream: a connection attempt or message received from
 * an exchange, a simulation step, a replayed record; failures are the calls that went wrong.
 */
export interface ProviderStats {
  provider: string;
  connected: boolean;
  calls: number;
  failures: number;
  ticks: number;
  lastLatencyMs: number;
  avgLatencyMs: number;
  p50LatencyMs: number;
  p95LatencyMs: number;
  p99LatencyMs: number;
  maxLatencyMs: number;
  lastError: string;
  lastErrorAtMs: number;
  lastCallAtMs: number;
  startedAtMs: number;
}

const LATENCY_SAMPLES = 256;

function quantile(sorted: number[], q: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
}

export class ProviderStatsRecorder {
  private calls = 0;
  private failures = 0;
  private ticks = 0;
  private latencySum = 0;
  private lastLatency = 0;
  private maxLatency = 0;
  private readonly samples = new Float64Array(LATENCY_SAMPLES);
  private sampleCount = 0;
  private lastError = '';
  private lastErrorAt = 0;
  private lastCallAt = 0;
  private connected = false;
  private readonly startedAt = Date.now();

  constructor(private readonly provider: string) {}

  call(latencyMs: number, ticks: number): void {
    const latency = latencyMs > 0 ? latencyMs : 0;
    this.calls++;
    this.ticks += ticks;
    this.latencySum += latency;
    this.lastLatency = latency;
    if (latency > this.maxLatency) this.maxLatency = latency;
    this.samples[this.sampleCount++ % LATENCY_SAMPLES] = latency;
    this.lastCallAt = Date.now();
  }

  /** A call that failed (connection refused, unreadable message, ...). */
  failure(error: unknown): void {
    this.calls++;
    this.failures++;
    this.lastError = error instanceof Error ? error.message : String(error);
    this.lastErrorAt = Date.now();
  }

  setConnected(connected: boolean): void {
    this.connected = connected;
  }

  snapshot(): ProviderStats {
    const n = Math.min(this.sampleCount, LATENCY_SAMPLES);
    const recent = Array.from(this.samples.subarray(0, n)).sort((a, b) => a - b);
    return {
      provider: this.provider,
      connected: this.connected,
      calls: this.calls,
      failures: this.failures,
      ticks: this.ticks,
      lastLatencyMs: this.lastLatency,
      avgLatencyMs: this.calls === 0 ? 0 : this.latencySum / this.calls,
      p50LatencyMs: quantile(recent, 0.5),
      p95LatencyMs: quantile(recent, 0.95),
      p99LatencyMs: quantile(recent, 0.99),
      maxLatencyMs: this.maxLatency,
      lastError: this.lastError,
      lastErrorAtMs: this.lastErrorAt,
      lastCallAtMs: this.lastCallAt,
      startedAtMs: this.startedAt,
    };
  }
}
