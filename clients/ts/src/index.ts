import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink, type TRPCClient } from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { EventSource as FetchEventSource } from 'eventsource';
import type { ApiErrorShape, AppRouter } from './generated/api.js';

export type { ApiErrorShape, AppRouter };
/** Every procedure's input and output by path: `RouterOutputs['webhooks']['list']`. */
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
export { CLOSE as CLOSE_CODES, ERROR as ERROR_CODES } from './generated/api.js';
export * from './events.js';
export * from './stream.js';

export interface MarketpulseClientOptions {
  /** Gateway base URL, e.g. http://127.0.0.1:8000 (the client adds /trpc). */
  url: string;
  /** A JWT (or an API key) sent as `Authorization: Bearer`; a function is asked before each call. */
  token?: string | (() => string | undefined);
  /** An API key sent as `X-API-Key` when no token is given. */
  apiKey?: string;
  /**
   * The browser's EventSource, for subscriptions in a browser; credentials then travel as tRPC
   * connection params (EventSource cannot send headers). Without it the `eventsource` package
   * (fetch-based, Node and browsers) sends the same headers as queries.
   */
  EventSource?: Parameters<typeof httpSubscriptionLink>[0]['EventSource'];
  fetch?: typeof globalThis.fetch;
}

export type MarketpulseClient = TRPCClient<AppRouter>;

/**
 * A typed client of every procedure: `client.webhooks.list.query({})`,
 * `client.webhooks.create.mutate({...})`, and
 * `client.streams.events.subscribe({ channels: ['portfolio'] }, { onData })`, whose events are
 * tracked with the subscription's position (`e.id`; the event's own id is `e.data.id`) so a dropped
 * connection resumes where it stopped, on any gateway instance (tRPC tracked events over SSE).
 */
export function createMarketpulseClient(options: MarketpulseClientOptions): MarketpulseClient {
  const base = options.url.replace(/\/+$/, '');
  const token = () => (typeof options.token === 'function' ? options.token() : options.token);
  const authHeaders = (): Record<string, string> => {
    const t = token();
    if (t) return { authorization: `Bearer ${t}` };
    return options.apiKey ? { 'x-api-key': options.apiKey } : {};
  };
  // Called as a plain function: a browser's fetch refuses to run with a client object as `this`.
  const fetchImpl: typeof globalThis.fetch = (input, init) => (options.fetch ?? globalThis.fetch)(input, init);
  const subscriptions = options.EventSource
    ? httpSubscriptionLink({
        url: `${base}/trpc`,
        EventSource: options.EventSource,
        connectionParams: () => {
          const t = token();
          return { ...(t ? { token: t } : {}), ...(options.apiKey ? { apiKey: options.apiKey } : {}) };
        },
      })
    : httpSubscriptionLink({
        url: `${base}/trpc`,
        EventSource: FetchEventSource,
        eventSourceOptions: () => ({
          fetch: (input, init) =>
            fetchImpl(input, { ...init, headers: { ...(init?.headers as Record<string, string>), ...authHeaders() } }),
        }),
      });
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: subscriptions,
        // The gateway refuses batches over TRPC_MAX_BATCH_SIZE (default 20): larger ones are split.
        false: httpBatchLink({ url: `${base}/trpc`, headers: authHeaders, fetch: fetchImpl, maxItems: 20 }),
      }),
    ],
  });
}
