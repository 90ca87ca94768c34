import { counter, gauge, histogram } from '@marketpulse/runtime';

export interface WebhookAttemptFigures {
  eventType: string;
  /** What the attempt led to: delivered, a retry scheduled (`pending`), or failed for good. */
  outcome: 'delivered' | 'pending' | 'failed';
  /** HTTP status of the receiver's answer; null when none came (refused, timed out, blocked address). */
  statusCode: number | null;
  seconds: number;
  /** Whether the endpoint was active or already disabled when the attempt was made. */
  endpointState?: 'active' | 'disabled';
}

/** The delivery queue as the store sees it now; read at scrape time. */
export interface WebhookQueueFigures {
  /** Deliveries waiting for an attempt or being attempted (pending, sending). */
  depth: number;
  /** Age of the oldest of them (now minus its creation); 0 when there is none. */
  oldestAgeSeconds: number;
  /** Endpoints by state: active, failing (active, every attempt failing), disabled. */
  endpoints: Record<string, number>;
}

export interface WebhookDeliveryMetrics {
  attempt(figures: WebhookAttemptFigures): void;
}

function statusClass(code: number | null): string {
  return code === null ? 'none' : `${Math.floor(code / 100)}xx`;
}

/** Webhook delivery attempts by outcome and receiver status class, and their latency. */
export function webhookDeliveryMetrics(): WebhookDeliveryMetrics {
  const attempts = counter<'event_type' | 'outcome' | 'status_class'>({
    name: 'marketpulse_webhook_delivery_attempts_total',
    help: 'Webhook delivery attempts by event type, outcome (delivered, pending = retry scheduled, failed = given up) and HTTP status class (2xx, 4xx, 5xx, none).',
    labelNames: ['event_type', 'outcome', 'status_class'],
  });
  const seconds = histogram<'outcome'>({
    name: 'marketpulse_webhook_delivery_duration_seconds',
    help: 'Time of one webhook request, from connect to the end of the response, by outcome.',
    labelNames: ['outcome'],
  });
  const failures = counter<'endpoint_state'>({
    name: 'marketpulse_webhook_delivery_failures_total',
    help: 'Webhook attempts that did not deliver (retry scheduled or given up), by the state of the endpoint (active, disabled).',
    labelNames: ['endpoint_state'],
  });
  return {
    attempt({ eventType, outcome, statusCode, seconds: s, endpointState }) {
      attempts.inc({ event_type: eventType, outcome, status_class: statusClass(statusCode) });
      seconds.observe({ outcome }, s);
      if (outcome !== 'delivered') failures.inc({ endpoint_state: endpointState ?? 'active' });
    },
  };
}

const queueReaders = new Set<() => Promise<WebhookQueueFigures>>();

/** Sums the figures of every webhook-delivery in the process (one, except in tests). */
async function queueFigures(): Promise<WebhookQueueFigures> {
  const all = await Promise.all([...queueReaders].map((read) => read().catch(() => undefined)));
  const total: WebhookQueueFigures = { depth: 0, oldestAgeSeconds: 0, endpoints: {} };
  for (const f of all) {
    if (!f) continue;
    total.depth += f.depth;
    total.oldestAgeSeconds = Math.max(total.oldestAgeSeconds, f.oldestAgeSeconds);
    for (const [state, n] of Object.entries(f.endpoints)) total.endpoints[state] = (total.endpoints[state] ?? 0) + n;
  }
  return total;
}

/**
 * The delivery backlog, read from the store at every scrape: marketpulse_webhook_queue_depth,
 * marketpulse_webhook_oldest_pending_age_seconds and marketpulse_webhook_endpoints{state}.
 * Returns a function that stops reading (call it when the service stops).
 */
export function registerWebhookQueueMetrics(read: () => Promise<WebhookQueueFigures>): () => void {
  queueReaders.add(read);
  // One store read per scrape for the three gauges; the first gauge's collect starts it.
  let current: Promise<WebhookQueueFigures> | undefined;
  gauge({
    name: 'marketpulse_webhook_queue_depth',
    help: 'Webhook deliveries waiting for an attempt or being attempted (pending, sending).',
    async collect() {
      current = queueFigures();
      this.set((await current).depth);
    },
  });
  gauge({
    name: 'marketpulse_webhook_oldest_pending_age_seconds',
    help: 'Age of the oldest webhook delivery still waiting (pending or sending); 0 when none waits.',
    async collect() {
      this.set((await (current ?? queueFigures())).oldestAgeSeconds);
    },
  });
  gauge<'state'>({
    name: 'marketpulse_webhook_endpoints',
    help: 'Webhook endpoints by state: active, failing (active, attempts failing since failing_since), disabled.',
    labelNames: ['state'],
    async collect() {
      const f = await (current ?? queueFigures());
      current = undefined;
      this.reset();
      for (const state of ['active', 'failing', 'disabled']) this.set({ state }, f.endpoints[state] ?? 0);
    },
  });
  return () => {
    queueReaders.delete(read);
  };
}
