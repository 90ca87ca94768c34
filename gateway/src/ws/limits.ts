/**
 * Connection-level limits that are decided by a pure rule. Max connections and max message size
 * are enforced where connections are accepted (upgrade.ts) and by ws's maxPayload respectively.
 */

/**
 * Whether a browser page from `origin` may connect. `*` allows every origin; an entry may use one
 * leading wildcard label (`https://*.example.com`). Requests without an Origin header come from
 * non-browser clients, which origin checks cannot constrain anyway, and are allowed.
 */
export function originAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined || allowed.includes('*')) return true;
  const o = origin.toLowerCase();
  return allowed.some((entry) => {
    const e = entry.toLowerCase();
    if (!e.includes('*')) return e === o;
    const [scheme, host] = e.split('://*.');
    return host !== undefined && o.startsWith(`${scheme}://`) && o.endsWith(`.${host}`);
  });
}

export type RateVerdict = 'ok' | 'warn' | 'close';

/**
 * Token bucket of `perMinute` messages refilled continuously. The first message over the limit
 * earns a warning; another one before the bucket refills closes the connection.
 */
export class RateLimiter {
  private tokens: number;
  private last: number;
  private warned = false;

  constructor(
    private readonly perMinute: number,
    now: number,
  ) {
    this.tokens = perMinute;
    this.last = now;
  }

  take(now: number): RateVerdict {
    this.tokens = Math.min(this.perMinute, this.tokens + ((now - this.last) * this.perMinute) / 60_000);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      this.warned = false;
      return 'ok';
    }
    if (this.warned) return 'close';
    this.warned = true;
    return 'warn';
  }
}
