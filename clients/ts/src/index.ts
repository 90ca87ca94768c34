import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink, type TRPCClient } from '@trpc/client';
import type { AppRouter, StreamEvent } from '@marketpulse/gateway';
import { EventSource as NodeEventSource } from 'eventsource';

export type { AppRouter, StreamEvent };

export interface MarketpulseClientOptions {
  /** Gateway base URL, e.g. http://127.0.0.1:8000 (the client adds /trpc). */
  url: string;
  /** A JWT (or an API key) sent as `Authorization: Bearer`; a function is asked before each call. */
  token?: string | (() => string | undefined);
  /** An API key sent as `X-API-Key` when no token is given. */
  apiKey?: string;
  /**
   * The browser's EventSource, for subscriptions in a browser; credentials then travel as tRPC
   * connection params (EventSource cannot send headers). Node uses the `eventsource` package,
   * which sends the same headers as queries.
   */
  EventSource?: typeof globalThis.EventSource;
  fetch?: typeof globalThis.fetch;
}

export type MarketpulseClient = TRPCClient<AppRouter>;

/**
 * A typed client of every procedure: `client.webhooks.list.query({})`,
 * `client.webhooks.create.mutate({...})`, and
 * `client.streams.events.subscribe({ channels: ['portfolio'] }, { onData })`, whose events carry
 * their id so a dropped connection resumes where it stopped (tRPC tracked events over SSE).
 */
export function createMarketpulseClient(options: MarketpulseClientOptions): MarketpulseClient {
  const base = options.url.replace(/\/+$/, '');
  const token = () => (typeof options.token === 'function' ? options.token() : options.token);
  const authHeaders = (): Record<string, string> => {
    const t = token();
    if (t) return { authorization: `Bearer ${t}` };
    return options.apiKey ? { 'x-api-key': options.apiKey } : {};
  };
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const subscriptions = options.EventSource
    ? httpSubscriptionLink({
        url: `${base}/trpc`,
        EventSource: options.EventSource,
        connectionParams: () => ({ ...(token() ? { token: token()! } : {}), ...(options.apiKey ? { apiKey: options.apiKey } : {}) }),
      })
    : httpSubscriptionLink({
        url: `${base}/trpc`,
        EventSource: NodeEventSource,
        eventSourceOptions: () => ({
          fetch: (input, init) => fetchImpl(input, { ...init, headers: { ...(init?.headers as Record<string, string>), ...authHeaders() } }),
        }),
      });
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: subscriptions,
        false: httpBatchLink({ url: `${base}/trpc`, headers: authHeaders, fetch: fetchImpl }),
      }),
    ],
  });
}
