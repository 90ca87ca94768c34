import { events } from '@marketpulse/proto';

/**
 * The JSON body receivers get, in the Standard Webhooks shape: `type`, `timestamp` and `data`,
 * where data is the event's payload with the proto's (and the seed's) snake_case field names,
 * e.g. {"symbol": "AAPL", "predicted_price": 150.25, ...} for prediction_complete. `id` equals the
 * webhook-id header and `subject` is usually the symbol.
 */
export interface WebhookBody {
  id: string;
  type: string;
  timestamp: string;
  subject: string;
  source: string;
  data: unknown;
}

export function webhookBody(event: events.Event): WebhookBody {
  const json = events.Event.toJSON(event) as Record<string, unknown>;
  const caseName = event.payload?.$case;
  return {
    id: event.id,
    type: event.type,
    timestamp: event.time ?? new Date().toISOString(),
    subject: event.subject,
    source: event.source,
    data: caseName ? (json[caseName] ?? {}) : {},
  };
}

export function serializeBody(event: events.Event): string {
  return JSON.stringify(webhookBody(event));
}
