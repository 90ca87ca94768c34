import type { IncomingMessage, ServerResponse } from 'node:http';

export interface CorsOptions {
  /** Exact origins, or `*.example.com`-style suffix patterns after the scheme. */
  allowedOrigins: readonly string[];
  /** Development mode: loopback origins (any port) are allowed when no allowlist is configured. */
  development: boolean;
}

/** http(s)://127.0.0.1, localhost or [::1], any port: pages a developer serves on this machine. */
const LOOPBACK_ORIGIN = /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?$/;

export function isLoopbackOrigin(origin: string): boolean {
  return LOOPBACK_ORIGIN.test(origin);
}

const ALLOWED_HEADERS = 'authorization, content-type, x-api-key, trpc-accept, last-event-id, traceparent';
const ALLOWED_METHODS = 'GET, POST, PATCH, PUT, DELETE, OPTIONS';

export function originAllowed(origin: string, options: CorsOptions): boolean {
  if (options.allowedOrigins.length === 0) return options.development && isLoopbackOrigin(origin);
  return options.allowedOrigins.some((pattern) => {
    if (pattern === '*') return true;
    if (pattern === origin) return true;
    const wildcard = /^(\w+:\/\/)\*\.(.+)$/.exec(pattern);
    if (!wildcard) return false;
    const [, scheme, suffix] = wildcard as unknown as [string, string, string];
    return origin.startsWith(scheme) && origin.endsWith(`.${suffix}`);
  });
}

/**
 * Sets the CORS headers of an allowed origin. Returns true when the request was a preflight and
 * has been answered (204, or 403 for an origin outside the allowlist).
 */
export function applyCors(req: IncomingMessage, res: ServerResponse, options: CorsOptions): boolean {
  const origin = req.headers.origin;
  const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
  if (!origin) return false;
  const allowed = originAllowed(origin, options);
  if (allowed) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    res.setHeader('Access-Control-Expose-Headers', 'retry-after, x-ratelimit-limit');
  }
  if (!preflight) return false;
  if (!allowed) {
    res.writeHead(403, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({ error: { code: 'CORS_ORIGIN_DENIED', message: `origin ${origin} is not in CORS_ALLOWED_ORIGINS` } }));
    return true;
  }
  res.writeHead(204, {
    'Access-Control-Allow-Methods': ALLOWED_METHODS,
    'Access-Control-Allow-Headers': ALLOWED_HEADERS,
    'Access-Control-Max-Age': '600',
  });
  res.end();
  return true;
}
