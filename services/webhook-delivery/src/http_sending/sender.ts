import type { ResolvedTarget } from '../address_guard/address_guard';

export interface SendRequest {
  target: ResolvedTarget;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** At most this many bytes of the response body are read; the rest is dropped with the connection. */
  maxResponseBytes: number;
}

/** What one attempt observed. `statusCode` is absent when no response arrived (refused, timed out, reset). */
export interface SendResult {
  statusCode?: number;
  durationMs: number;
  responseExcerpt: string;
  retryAfter?: string;
  error?: string;
  /** No complete answer within the deadline: the attempt held its worker the whole time. */
  timedOut?: true;
}

export interface WebhookSender {
  send(request: SendRequest): Promise<SendResult>;
  close(): void;
}
