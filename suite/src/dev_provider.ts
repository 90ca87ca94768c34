import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DevProvider {
  /** The status URL provider-monitor checks. */
  url: string;
  close(): Promise<void>;
}

/**
 * A local stand-in for an upstream market-data API, so provider-monitor watches something real on
 * the first command without the internet: it answers like an exchange's status endpoint, counts
 * every request against its own fixed window and reports it in X-RateLimit-* headers (what the
 * monitor's HTTP probe reads as usage), and answers 429 past the limit, as a real provider would.
 */
export async function startDevProvider(options: { limitPerMinute: number }): Promise<DevProvider> {
  let windowStart = Date.now();
  let used = 0;
  const server: Server = createServer((req, res) => {
    const now = Date.now();
    if (now - windowStart >= 60_000) {
      windowStart = now;
      used = 0;
    }
    used++;
    const remaining = Math.max(0, options.limitPerMinute - used);
    const headers = {
      'content-type': 'application/json',
      'x-ratelimit-limit': String(options.limitPerMinute),
      'x-ratelimit-remaining': String(remaining),
      'x-ratelimit-reset': String(Math.ceil((windowStart + 60_000 - now) / 1000)),
    };
    if (used > options.limitPerMinute) {
      res.writeHead(429, headers).end(JSON.stringify({ error: 'rate limit exceeded' }));
      return;
    }
    res.writeHead(200, headers).end(
      JSON.stringify([
        { symbol: 'AAPL', status: 'trading' },
        { symbol: 'BTC-USD', status: 'trading' },
      ]),
    );
    void req;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/status`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
