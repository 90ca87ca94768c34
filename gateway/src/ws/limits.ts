/**
 * Connection-level limits that are decided by a pure rule. Max connections and max message size
 * are enforced where connections are accepted (ws_gateway.ts) and by ws's maxPayload respectively.
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

/**
 * The per-client message rate as one number per connection: the generic cell rate algorithm,
 * which allows exactly what a token bucket of `perMinute` tokens refilled continuously allows,
 * without a bucket object. `tat` is the time the client's bucket will be full again (0 for a new
 * client). Returns the new `tat` when a message arriving at `now` is within the rate, or null when
 * it is over it (the caller keeps its old `tat`).
 */
export function takeMessage(tat: number, now: number, perMinute: number): number | null {
  const interval = 60_000 / perMinute;
  const due = Math.max(tat, now);
  // A full bucket allows perMinute messages at once: refuse once perMinute intervals are taken.
  // 1 ms of slack absorbs the rounding of sums of intervals on epoch milliseconds.
  return due - now > 60_000 - interval + 1 ? null : due + interval;
}
