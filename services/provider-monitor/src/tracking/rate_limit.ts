/** Per-provider rate-limit accounting over a sliding window, with an 80 % alarm. */
export interface RateLimitPolicy {
  /** Calls allowed per window. */
  limit: number;
  window_seconds: number;
}

export interface RateLimitUsage {
  used: number;
  limit: number;
  window_seconds: number;
  /** used / limit * 100, rounded to 0.1. */
  percentage: number;
  remaining: number;
  /** When the oldest call in the window leaves it (ISO), or undefined when there is none. */
  reset_at: string | undefined;
}

export const DEFAULT_ALERT_PERCENTAGE = 80;

export class RateLimitTracker {
  private calls: number[] = [];
  /** What the upstream itself last reported (e.g. from X-RateLimit-* headers). */
  private upstream: { used: number; at: number } | undefined;
  private alarmed = false;

  constructor(
    readonly policy: RateLimitPolicy,
    private readonly alertPercentage = DEFAULT_ALERT_PERCENTAGE,
  ) {}

  record(at: number, count = 1): void {
    for (let i = 0; i < count; i++) this.calls.push(at);
  }

  /** Upstream-reported usage counts when it is higher than our own tally (other clients share the key). */
  reportUpstream(used: number, at: number): void {
    this.upstream = { used, at };
  }

  usage(at: number): RateLimitUsage {
    const windowMs = this.policy.window_seconds * 1000;
    this.calls = this.calls.filter((t) => t > at - windowMs);
    const upstream = this.upstream && this.upstream.at > at - windowMs ? this.upstream.used : 0;
    const used = Math.max(this.calls.length, upstream);
    const limit = this.policy.limit;
    return {
      used,
      limit,
      window_seconds: this.policy.window_seconds,
      percentage: limit > 0 ? Math.round((used / limit) * 1000) / 10 : 0,
      remaining: Math.max(0, limit - used),
      reset_at: this.calls.length ? new Date(this.calls[0] + windowMs).toISOString() : undefined,
    };
  }

  /**
   * Returns the usage when it has just reached the alert percentage; stays quiet while it remains
   * there and re-arms once usage falls below it, so one episode raises one alert.
   */
  checkAlarm(at: number): RateLimitUsage | undefined {
    const u = this.usage(at);
    const over = u.percentage >= this.alertPercentage;
    if (!over) {
      this.alarmed = false;
      return undefined;
    }
    if (this.alarmed) return undefined;
    this.alarmed = true;
    return u;
  }
}
