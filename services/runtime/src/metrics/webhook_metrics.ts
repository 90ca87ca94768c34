import { counter, histogram } from './registry';

export interface WebhookAttemptFigures {
  eventType: string;
  /** What the attempt led to: delivered, a retry scheduled (`pending`), or failed for good. */
  outcome: 'delivered' | 'pending' | 'failed';
  /** HTTP status of the receiver's answer; null when none came (refused, timed out, blocked address). */
  statusCode: number | null;
  seconds: number;
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
  return {
    attempt({ eventType, outcome, statusCode, seconds: s }) {
      attempts.inc({ event_type: eventType, outcome, status_class: statusClass(statusCode) });
      seconds.observe({ outcome }, s);
    },
  };
}
