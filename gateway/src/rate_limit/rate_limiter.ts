import { OrderedMap } from '@marketpulse/runtime';

/** Outcome of one request against a client's budget. */
export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface RateLimiterOptions {
  /** Sustained requests per minute per client. */
  perMinute: number;
  /** Requests a client may make at once after being idle. */
  burst: number;
  /** Clients tracked at most; the longest idle are forgotten first (they would be full anyway). */
  maxClients?: number;
  now?: () => number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** Token bucket per client key (credential or address): refills at perMinute/60 tokens a second. */
export class RateLimiter {
  /** Least recently used first (OrderedMap: forgetting the oldest does not scan a Map). */
  private readonly buckets = new OrderedMap<string, Bucket>();
  private readonly ratePerMs: number;
  private readonly now: () => number;
  private readonly maxClients: number;

  constructor(private readonly options: RateLimiterOptions) {
    this.ratePerMs = options.perMinute / 60_000;
    this.now = options.now ?? Date.now;
    this.maxClients = options.maxClients ?? 100_000;
  }

  /** Takes `cost` requests' worth (a tRPC batch costs one per call). */
  take(client: string, cost = 1): RateDecision {
    const now = this.now();
    let bucket = this.buckets.get(client);
    if (bucket) {
      bucket.tokens = Math.min(this.options.burst, bucket.tokens + (now - bucket.updatedAt) * this.ratePerMs);
      bucket.updatedAt = now;
    } else {
      bucket = { tokens: this.options.burst, updatedAt: now };
      if (this.buckets.size >= this.maxClients) this.buckets.delete(this.buckets.oldestKey()!);
    }
    this.buckets.set(client, bucket);
    if (bucket.tokens >= cost) {
      bucket.tokens -= cost;
      return { allowed: true };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((cost - bucket.tokens) / this.ratePerMs / 1000)) };
  }
}
