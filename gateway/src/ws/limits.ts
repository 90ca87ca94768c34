/**
 * Connection-level limits that are decided by a pure rule. Max connections and max message size
 * are enforced where connections are accepted (ws_gateway.ts) and by ws's maxPayload respectively.
 */

import { originAllowed as corsOriginAllowed, type CorsOptions } from '../http/cors';

/**
 * Whether a browser page from `origin` may open a WebSocket. Requests without an Origin header come
 * from non-browser clients (SDKs, servers), which origin checks cannot constrain, and are allowed;
 * so is a page of the gateway's own origin `own` (the dashboard it serves). Any other origin follows
 * the CORS rule (http/cors.ts): WS_ALLOWED_ORIGINS when set (`*`, exact, `https://*.example.com`;
 * lower-cased by the caller), else loopback pages in development and nothing in production, so a
 * page a user happens to visit cannot read the streams from their browser.
 */
export function originAllowed(origin: string | undefined, own: string | undefined, policy: CorsOptions): boolean {
  if (origin === undefined) return true;
  const o = origin.toLowerCase();
  if (own !== undefined && URL.parse(o)?.origin === own) return true;
  return corsOriginAllowed(o, policy);
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
