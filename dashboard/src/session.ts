import { createMarketpulseClient, createStreamClient, type StreamState } from '@marketpulse/client';

export type Api = ReturnType<typeof createMarketpulseClient>;

/** One event of the firehose as the dashboard reads it (the `events` subscription's item). */
export interface LiveEvent {
  event_id: string;
  event_type: string;
  subject: string;
  timestamp: string;
  // Each view narrows the payload of the event types it shows.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each view narrows it (above)
  payload: Record<string, any>;
}

const STORAGE_KEY = 'marketpulse.credential';

/** The credential typed into the box (a JWT or an API key), kept in this browser only. */
export const credential = {
  get: (): string | undefined => localStorage.getItem(STORAGE_KEY) || undefined,
  set(value: string): void {
    if (value) localStorage.setItem(STORAGE_KEY, value);
    else localStorage.removeItem(STORAGE_KEY);
  },
};

/** The typed API client of this gateway (same origin), asking for the credential on every call. */
export function createApi(): Api {
  return createMarketpulseClient({ url: location.origin, token: () => credential.get() });
}

export interface LiveHandlers {
  onEvent(event: LiveEvent): void;
  onState(state: StreamState, detail: string): void;
  /** The gateway could not replay what was missed while disconnected: reload from the API. */
  onGap(): void;
}

/**
 * The native-protocol stream of every event this credential may read, resumed across reconnects
 * from its Kafka position (the client sends it back), on whichever gateway instance answers.
 */
export function startLive(handlers: LiveHandlers): { close(): void } {
  const stream = createStreamClient({ url: `${location.origin.replace(/^http/, 'ws')}/ws/stream`, token: () => credential.get() });
  stream.on('state', (state, info) => {
    const detail = info?.retryInMs !== undefined ? `retry in ${Math.round(info.retryInMs / 100) / 10} s` : (info?.reason ?? '');
    handlers.onState(state, detail);
  });
  stream.on('error', (err) => {
    // Nothing to replay from (past Kafka's retention, or a position the gateway refused): reload from the API.
    if (err.code === 'CANNOT_RECOVER' || err.code === 'INVALID_POSITION') handlers.onGap();
  });
  stream.subscribe('events', {}, (item) => handlers.onEvent(item as unknown as LiveEvent));
  stream.connect();
  return { close: () => stream.close() };
}

/** A person-readable line for a failed call: the gateway's code and message, never a stack. */
export function describeError(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { message?: string; data?: { code?: string; httpStatus?: number } };
    const code = e.data?.code ?? '';
    return `${code ? `${code}: ` : ''}${e.message ?? String(err)}`;
  }
  return String(err);
}

export function isAuthError(err: unknown): boolean {
  const status = (err as { data?: { httpStatus?: number } } | undefined)?.data?.httpStatus;
  return status === 401 || status === 403;
}
